package filetransfer

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
)

// Kind classifies a failed transfer as filetransfer.cc does: only
// Transient failures are retried.
type Kind uint8

const (
	Transient Kind = iota // worth another attempt
	NotFound              // HTTP 404 or 410, an unreadable file:// file
	Forbidden             // HTTP 401, 403 or 407
	Misc                  // any other permanent failure
)

// Error is a download that failed on the network side (as opposed to a
// failure of the sink the body was written to). Msg is Nix's text, for
// example "unable to download 'http://h/x': HTTP error 404 ('Not
// Found')" or "unable to download 'http://h/x': Couldn't connect to
// server (7)".
type Error struct {
	URL    string
	Status int // HTTP status; 0 when no HTTP response was received
	Msg    string
	Kind   Kind
}

func (e *Error) Error() string { return e.Msg }

// NotFound reports whether the resource is definitely missing.
func (e *Error) NotFound() bool { return e.Kind == NotFound }

// Transient reports whether another attempt may succeed.
func (e *Error) Transient() bool { return e.Kind == Transient }

// curlError is Nix's message for a failure curl reports before or
// instead of an HTTP status: curl's strerror text and its code.
func curlError(u, text string, code int, kind Kind) *Error {
	return &Error{URL: u, Msg: fmt.Sprintf("unable to download '%s': %s (%d)", u, text, code), Kind: kind}
}

// httpError is Nix's message for a response it does not accept: the
// status and its reason phrase, the curl error if the transfer itself
// failed after a good status, and the response body when it is short or
// HTML. 5xx other than 501, 505 and 511, 408, 429 and broken-off
// transfers are transient.
func httpError(u string, status int, reason, curlErr string, body []byte) *Error {
	msg := fmt.Sprintf("unable to download '%s': HTTP error %d ('%s')", u, status, reason)
	if curlErr != "" {
		msg += fmt.Sprintf(" (curl error: %s)", curlErr)
	}
	if len(body) > 0 && (len(body) < 1024 || strings.Contains(string(body), "<html>")) {
		msg += "\n\nresponse body:\n\n" + strings.TrimRight(string(body), " \n\r\t")
	}
	kind := Transient
	switch {
	case status == 404 || status == 410:
		kind = NotFound
	case status == 401 || status == 403 || status == 407:
		kind = Forbidden
	case status >= 400 && status < 500 && status != 408 && status != 429,
		status == 501 || status == 505 || status == 511:
		kind = Misc
	}
	return &Error{URL: u, Status: status, Msg: msg, Kind: kind}
}

// curlText maps a Go client error to curl's strerror text and code.
func curlText(err error) (string, int, Kind) {
	var (
		dnsErr  *net.DNSError
		opErr   *net.OpError
		certErr *tls.CertificateVerificationError
		uaErr   x509.UnknownAuthorityError
		hostErr x509.HostnameError
		recErr  tls.RecordHeaderError
		ue      *url.Error
	)
	switch {
	case errors.Is(err, errTooManyRedirects):
		return "Number of redirects hit maximum amount", 47, Misc
	case errors.As(err, &dnsErr):
		return "Couldn't resolve host name", 6, Transient
	case errors.As(err, &certErr), errors.As(err, &uaErr), errors.As(err, &hostErr):
		return "SSL peer certificate or SSH remote key was not OK", 60, Transient
	case errors.As(err, &recErr):
		return "SSL connect error", 35, Transient
	case errors.Is(err, context.DeadlineExceeded), os.IsTimeout(err):
		return "Timeout was reached", 28, Transient
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "Couldn't connect to server", 7, Transient
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "Server returned nothing (no headers, no data)", 52, Transient
	case errors.As(err, &ue) && strings.Contains(ue.Err.Error(), "unsupported protocol scheme"):
		return "Unsupported protocol", 1, Misc
	}
	return "Failure when receiving data from the peer", 56, Transient
}
