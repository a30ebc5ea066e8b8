package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// blockingReader blocks every Read until release is closed.
type blockingReader struct{ release chan struct{} }

func (b blockingReader) Read(p []byte) (int, error) {
	<-b.release
	return 0, io.EOF
}

func TestInterruptibleReader(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	br := blockingReader{release: make(chan struct{})}
	defer close(br.release)
	r := interruptible(ctx, br)
	done := make(chan error)
	go func() {
		_, err := r.Read(make([]byte, 10))
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Read after cancel: %v, want context.Canceled", err)
	}
	// The bytes of r come through whole and in order, in reads of any size.
	data := bytes.Repeat([]byte("0123456789abcdef"), 100_000)
	got, err := io.ReadAll(interruptible(context.Background(), bytes.NewReader(data)))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("ReadAll: %d bytes, %v; want %d", len(got), err, len(data))
	}
}

// lateReader yields an archive, and the interrupt arrives with the read
// that reaches its middle: the run needs those bytes, so it cannot have
// ended, and the stream then goes on to its end. (Cancelling at the end
// of the stream raced: tardigest stops at the tar's end marker, and
// whether the read-ahead meets the padding's EOF before the run ends is
// up to the scheduler.)
type lateReader struct {
	r      *bytes.Reader
	at     int64
	cancel func()
}

func (l lateReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if read := l.r.Size() - int64(l.r.Len()); n > 0 && read >= l.at && read-int64(n) < l.at {
		l.cancel()
	}
	return n, err
}

// TestInterruptNotForgotten: an interrupt that arrives while the stream
// still flows, which then completes so the archive could verify, still
// ends the run with 130 and "interrupted".
func TestInterruptNotForgotten(t *testing.T) {
	data, err := os.ReadFile(archives + "docker-archive.tar")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	in := lateReader{r: bytes.NewReader(data), at: int64(len(data) / 2), cancel: cancel}
	code := run(ctx, []string{"tardigest", "verify", "-"}, in, &stdout, &stderr, testEnv)
	if code != exitInterrupted || !strings.Contains(stderr.String(), "tardigest: interrupted") {
		t.Errorf("exit %d, stderr %q; want %d and interrupted", code, stderr.String(), exitInterrupted)
	}
}

// TestInterruptStalledStdin runs the binary reading a stdin nobody
// writes to (or stops writing to, midway through a plain or gzip
// archive), and signals it: it must end with 130 and "interrupted". The
// 20-second bound only catches a hang; the run ends within a second.
func TestInterruptStalledStdin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "tardigest")
	if out, err := exec.Command("go", append(append([]string{"build"}, buildTags...), "-o", bin, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	plain, err := os.ReadFile(archives + "docker-archive.tar")
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	if out, err := exec.Command("gzip", "-c", archives+"docker-archive.tar").Output(); err == nil {
		gz.Write(out)
	}
	for _, tt := range []struct {
		name   string
		prefix []byte
		sig    syscall.Signal
	}{
		{"nothing written, SIGTERM", nil, syscall.SIGTERM},
		{"half a tar, SIGINT", plain[:len(plain)/2], syscall.SIGINT},
		{"half a gzip stream, SIGINT", gz.Bytes()[:gz.Len()/2], syscall.SIGINT},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer pw.Close()
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(bin, "verify", "-")
			cmd.Stdin, cmd.Stdout, cmd.Stderr = pr, &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pr.Close()
			pw.Write(tt.prefix)
			time.Sleep(300 * time.Millisecond) // let it block in the read
			cmd.Process.Signal(tt.sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatal("still running 20 s after the signal")
			}
			if code := cmd.ProcessState.ExitCode(); code != exitInterrupted || !strings.Contains(stderr.String(), "tardigest: interrupted") {
				t.Errorf("exit %d, stderr %q; want %d and interrupted", code, stderr.String(), exitInterrupted)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout: %q", stdout.String())
			}
		})
	}
}
