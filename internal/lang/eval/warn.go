package eval

import (
	"fmt"
	"io"
)

func writeWarning(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "warning: "+format+"\n", args...)
}
