package binarycache

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"
	xz2 "github.com/xi2/xz"
)

func xzBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := xz.NewWriter(&buf) // 8 MiB dictionary, as Nix's preset 6
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestXZSmallDict(t *testing.T) {
	data := []byte(strings.Repeat("a NAR with repeats, ", 3000))
	comp := xzBytes(t, data)
	for _, c := range []struct {
		narSize uint64
		changed bool
	}{
		{uint64(len(data)), true},
		{1, true},         // 4 KiB at least
		{16 << 20, false}, // larger than the stream's own dictionary
		{0, true},         // unknown sizes are not passed in; 0 still decodes
	} {
		got, err := io.ReadAll(xzSmallDict(bytes.NewReader(comp), c.narSize))
		if err != nil {
			t.Fatal(err)
		}
		if changed := !bytes.Equal(got, comp); changed != c.changed || len(got) != len(comp) {
			t.Errorf("narSize %d: changed %v, want %v", c.narSize, changed, c.changed)
		}
		// Both decoders take the rewritten stream.
		r, err := xz.NewReader(bufio.NewReader(bytes.NewReader(got)))
		if err != nil {
			t.Fatalf("narSize %d: %v", c.narSize, err)
		}
		out, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(out, data) {
			t.Errorf("narSize %d: decoded %d bytes, %v", c.narSize, len(out), err)
		}
		r2, err := xz2.NewReader(bytes.NewReader(got), 0)
		if err != nil {
			t.Fatalf("narSize %d: %v", c.narSize, err)
		}
		out, err = io.ReadAll(r2)
		if err != nil || !bytes.Equal(out, data) {
			t.Errorf("narSize %d: xi2 decoded %d bytes, %v", c.narSize, len(out), err)
		}
	}
	// A block header whose CRC does not match, or a short stream, passes
	// through untouched (the decoder reports it).
	bad := append([]byte(nil), comp...)
	bad[14] ^= 0xff
	if got, _ := io.ReadAll(xzSmallDict(bytes.NewReader(bad), 10)); !bytes.Equal(got, bad) {
		t.Error("a corrupt header was rewritten")
	}
	for _, n := range []int{0, 5, 13, 15} {
		if got, _ := io.ReadAll(xzSmallDict(bytes.NewReader(comp[:n]), 10)); !bytes.Equal(got, comp[:n]) {
			t.Errorf("%d-byte stream changed", n)
		}
	}
	if dictCode(4096) != 0 || dictCode(4097) != 1 || dictCode(8<<20) != 22 || dictCode(1<<40) != 40 {
		t.Errorf("dictCode: %d %d %d %d", dictCode(4096), dictCode(4097), dictCode(8<<20), dictCode(1<<40))
	}
}
