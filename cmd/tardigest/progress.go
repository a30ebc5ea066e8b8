package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/tardigest/tardigest/tarball"
)

// showProgress draws a progress bar on w until stop is called: bytes read
// of the total where known (a spinner for a stream), blobs done and in
// progress, rate and ETA. It polls the library's atomic counters, so the
// library itself never prints; the bar is cleared when reading ends and
// never mixes with results, which go to stdout.
//
// github.com/schollz/progressbar/v3 draws it: terminal width, rate and
// ETA smoothing and spinners are its job, and done well.
func showProgress(w io.Writer, p *tarball.Progress, e env) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		var bar *progressbar.ProgressBar
		for {
			select {
			case <-done:
				if bar != nil {
					bar.Exit()
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case <-tick.C:
			}
			if bar == nil {
				total := p.Total.Load()
				if total <= 0 {
					total = -1 // a stream: a spinner
				}
				bar = progressbar.NewOptions64(total,
					progressbar.OptionSetWriter(w),
					progressbar.OptionShowBytes(true),
					progressbar.OptionShowTotalBytes(true),
					progressbar.OptionShowCount(),
					progressbar.OptionSetPredictTime(true),
					progressbar.OptionSetWidth(30),
					progressbar.OptionThrottle(100*time.Millisecond),
					progressbar.OptionSpinnerType(14),
					progressbar.OptionClearOnFinish(),
				)
			}
			bar.Describe(fmt.Sprintf("%d blobs hashed, %d in progress", p.Blobs.Load(), p.Active.Load()))
			bar.Set64(p.Bytes.Load())
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}
