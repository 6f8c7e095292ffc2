package cli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestBuildEventsTerminal: on a terminal the status line sits below the
// log lines and is redrawn after each; without one, plain lines only.
func TestBuildEventsTerminal(t *testing.T) {
	const a = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-alpha.drv"
	const b = "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-beta.drv"
	run := func(tty bool) string {
		var out bytes.Buffer
		ev := &buildEvents{stderr: &out, logLines: 10, tails: map[string]*tailWriter{}, tty: tty}
		ev.WillBuild([]string{a, b})
		w := ev.Started(a)
		fmt.Fprint(w, "one\ntw")
		fmt.Fprint(w, "o\n")
		ev.Started(b)
		ev.Done(a)
		ev.Done(b)
		ev.finish()
		return out.String()
	}
	plain := run(false)
	wantPlain := "these 2 derivations will be built:\n  " + a + "\n  " + b + "\nbuilding '" + a + "'...\none\ntwo\nbuilding '" + b + "'...\n"
	if plain != wantPlain {
		t.Errorf("plain output:\n%q\nwant\n%q", plain, wantPlain)
	}
	tty := run(true)
	for _, want := range []string{
		"building '" + a + "'...\n[0/2 built, 1 running] building alpha",
		"\r\x1b[Kone\n[0/2 built, 1 running] building alpha",
		"[0/2 built, 2 running] building beta",
		"[1/2 built, 1 running] building beta",
	} {
		if !strings.Contains(tty, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, tty)
		}
	}
	if !strings.HasSuffix(tty, "\r\x1b[K") {
		t.Errorf("the status line is not cleared at the end: %q", tty)
	}
}
