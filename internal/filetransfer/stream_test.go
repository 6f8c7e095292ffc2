package filetransfer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPutRetries(t *testing.T) {
	var n atomic.Int32
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPut {
			http.Error(w, "no", http.StatusMethodNotAllowed)
			return
		}
		if n.Add(1) < 3 {
			http.Error(w, "busy", http.StatusBadGateway)
			return
		}
		got.Store(r.Header.Get("Content-Type") + " " + string(body))
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	var warns []string
	tr := &Transfer{Client: srv.Client(), RetryBase: time.Millisecond, Warn: func(m string) { warns = append(warns, m) }}
	if err := tr.Put(context.Background(), srv.URL+"/x", strings.NewReader("payload"), 7, "text/x-nix-narinfo"); err != nil {
		t.Fatal(err)
	}
	if got.Load() != "text/x-nix-narinfo payload" || len(warns) != 2 || !strings.HasPrefix(warns[0], "error: unable to upload '"+srv.URL+"/x': HTTP error 502") {
		t.Errorf("got %v, warnings %q", got.Load(), warns)
	}
	// Tries bounds the transient failures.
	n.Store(-100)
	err := tr.Put(context.Background(), srv.URL+"/x", strings.NewReader(""), 0, "")
	var fe *Error
	if !errors.As(err, &fe) || fe.Kind != Transient || n.Load() != -95 {
		t.Errorf("err %v after %d requests", err, n.Load()+100)
	}
}

func TestOpenStalled(t *testing.T) {
	release := make(chan struct{})
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		w.Write([]byte("01234"))
		w.(http.Flusher).Flush()
		if n.Add(1) == 1 {
			// The first attempt stalls; the retry has no Accept-Ranges to
			// resume from, so the reader fails with curl's timeout.
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Write([]byte("56789"))
	}))
	defer srv.Close()
	defer close(release)
	tr := &Transfer{Client: srv.Client(), RetryBase: time.Millisecond, StalledTimeout: 100 * time.Millisecond}
	r, err := tr.Open(context.Background(), srv.URL+"/nar")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if string(data) != "01234" || err == nil || !strings.Contains(err.Error(), "Timeout was reached (28)") {
		t.Errorf("read %q, %v", data, err)
	}
}

func TestOpenResumes(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 1000)
	var ranges []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rg := r.Header.Get("Range")
		ranges = append(ranges, rg)
		w.Header().Set("Accept-Ranges", "bytes")
		if rg == "" {
			w.Header().Set("Content-Length", "10000")
			w.Write(body[:4000])
			w.(http.Flusher).Flush()
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		http.ServeContent(w, r, "nar", time.Time{}, bytes.NewReader(body))
	}))
	defer srv.Close()
	var warns []string
	tr := &Transfer{Client: srv.Client(), RetryBase: time.Millisecond, Warn: func(m string) { warns = append(warns, m) }}
	r, err := tr.Open(context.Background(), srv.URL+"/nar")
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(data, body) {
		t.Fatalf("%d bytes, %v", len(data), err)
	}
	if len(ranges) != 2 || ranges[1] != "bytes=4000-" || len(warns) != 1 || !strings.Contains(warns[0], "retrying from offset 4000") {
		t.Errorf("ranges %q, warnings %q", ranges, warns)
	}
	// An unreachable server is an *Error once the tries are spent.
	_, err = tr.Open(context.Background(), srv.URL[:len(srv.URL)-1]+"0/x")
	var fe *Error
	if !errors.As(err, &fe) {
		t.Errorf("unreachable: %v", err)
	}
}
