package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/tardigest/tardigest/report"
	"github.com/tardigest/tardigest/tarball"
)

// showProgress redraws one status line on w until stop is called:
// bytes read of the total where known, blobs in progress, rate and ETA.
// One line needs no library; it is cleared when reading ends, so it never
// mixes with results (which go to stdout anyway).
func showProgress(w io.Writer, p *tarball.Progress, e env) (stop func()) {
	start := e.now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-tick.C:
				fmt.Fprintf(w, "\r\033[K%s", progressLine(p, e.now().Sub(start)))
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

func progressLine(p *tarball.Progress, elapsed time.Duration) string {
	read, total := p.Bytes.Load(), p.Total.Load()
	rate := float64(read) / elapsed.Seconds()
	line := fmt.Sprintf("reading %s", report.HumanSize(read))
	if total > 0 {
		line += fmt.Sprintf(" of %s (%d%%)", report.HumanSize(total), read*100/max(total, 1))
	}
	line += fmt.Sprintf(", %d blobs done, %d in progress, %s/s", p.Blobs.Load(), p.Active.Load(), report.HumanSize(int64(rate)))
	if total > 0 && rate > 0 && read < total {
		eta := time.Duration(float64(total-read) / rate * float64(time.Second)).Round(time.Second)
		line += fmt.Sprintf(", ETA %s", eta)
	}
	return line
}
