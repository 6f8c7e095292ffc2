package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// AccessLog wraps next so that every request writes one line to w when it
// ends: time, client, method, path, status, body bytes, duration. A
// download cut short (client gone, stalled, or a store error after the
// status line) is logged with status "aborted".
func AccessLog(next http.Handler, w io.Writer) http.Handler {
	var mu sync.Mutex // one line at a time
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		lw := &logWriter{ResponseWriter: rw}
		status := ""
		defer func() {
			rec := recover()
			if status == "" {
				status = "aborted"
			}
			mu.Lock()
			fmt.Fprintf(w, "%s %s %s %s %s %d %s\n", start.UTC().Format(time.RFC3339), r.RemoteAddr,
				r.Method, r.URL.EscapedPath(), status, lw.bytes, time.Since(start).Round(time.Microsecond))
			mu.Unlock()
			if rec != nil {
				panic(rec)
			}
		}()
		next.ServeHTTP(lw, r)
		if lw.status == 0 {
			lw.status = http.StatusOK
		}
		status = fmt.Sprint(lw.status)
	})
}

// logWriter counts what a handler writes.
type logWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (l *logWriter) WriteHeader(code int) {
	if l.status == 0 {
		l.status = code
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l *logWriter) Write(p []byte) (int, error) {
	if l.status == 0 {
		l.status = http.StatusOK
	}
	n, err := l.ResponseWriter.Write(p)
	l.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (write
// deadlines, flushing).
func (l *logWriter) Unwrap() http.ResponseWriter { return l.ResponseWriter }

// ServerOptions are the connection limits of Serve.
type ServerOptions struct {
	// ReadHeaderTimeout bounds reading a request's headers (default 10s).
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes a kept-alive connection idle that long (default 120s).
	IdleTimeout time.Duration
	// ShutdownGrace is how long Serve lets running requests finish after
	// ctx ends before it closes their connections (default 10s).
	ShutdownGrace time.Duration
	// ErrorLog receives the server's own errors; nil discards them.
	ErrorLog io.Writer
}

// Serve answers requests on ln with h until ctx ends, then shuts down
// gracefully: it stops accepting, lets running requests finish for
// ShutdownGrace, then closes what is left. There is deliberately no
// WriteTimeout (it would kill long NAR downloads); Handler's stall
// detection takes its place.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, opts ServerOptions) error {
	if opts.ReadHeaderTimeout <= 0 {
		opts.ReadHeaderTimeout = 10 * time.Second
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 120 * time.Second
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = 10 * time.Second
	}
	errLog := opts.ErrorLog
	if errLog == nil {
		errLog = io.Discard
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: opts.ReadHeaderTimeout,
		IdleTimeout:       opts.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          log.New(errLog, "serve: ", log.LstdFlags),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), opts.ShutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("serve: shutting down: %w", err)
	}
	return nil
}
