package jsonstr

import (
	"bytes"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"\x00\x01\x1f\x7f", `"\u0000\u0001\u001f` + "\x7f" + `"`},
		{"é ünï \xff\xfe", "\"é ünï \xff\xfe\""},
		{"end\n", `"end\n"`},
	}
	for _, tc := range tests {
		var sb strings.Builder
		Write(&sb, tc.in)
		var bb bytes.Buffer
		Write(&bb, tc.in)
		if sb.String() != tc.want || bb.String() != tc.want {
			t.Errorf("Write(%q) = %q / %q, want %q", tc.in, sb.String(), bb.String(), tc.want)
		}
	}
}

func TestWriteNix(t *testing.T) {
	var sb strings.Builder
	WriteNix(&sb, "a\"\\\b\f\n\r\t\x01")
	if want := `"a\"\\\u0008\u000c\n\r\t\u0001"`; sb.String() != want {
		t.Errorf("WriteNix = %s, want %s", sb.String(), want)
	}
}

func BenchmarkWrite(b *testing.B) {
	s := strings.Repeat("a fairly ordinary string with \"quotes\" and a\nnewline ", 20)
	var sb strings.Builder
	for i := 0; i < b.N; i++ {
		sb.Reset()
		Write(&sb, s)
	}
}
