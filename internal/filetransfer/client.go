package filetransfer

import (
	"crypto/tls"
	"errors"
	"net/http"
)

// Doer sends one HTTP request; *http.Client satisfies it. Redirects are
// the doer's business (Nix lets curl follow at most MaxRedirects).
type Doer interface {
	Do(req *http.Request) (*http.Response, error)
}

// UserAgent is sent with every request, in Nix's "curl/… Nix/2.8.0"
// shape with this program named instead of curl.
const UserAgent = "gonix Nix/2.8.0"

// MaxRedirects is curl's CURLOPT_MAXREDIRS as Nix sets it.
const MaxRedirects = 10

// errTooManyRedirects stops NewClient's clients after MaxRedirects; Get
// reports it as curl's error 47.
var errTooManyRedirects = errors.New("too many redirects")

// NewClient is the client Nix's curl setup amounts to: proxies from the
// environment, at most MaxRedirects redirects, no Accept-Encoding of its
// own (curl does not ask for compression; a Content-Encoding the server
// sends anyway is undone by Get), and TLS as tlsConfig says (nil: peers
// verified against the system roots). The returned function releases
// idle connections.
func NewClient(tlsConfig *tls.Config) (*http.Client, func()) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableCompression = true
	if tlsConfig != nil {
		tr.TLSClientConfig = tlsConfig
	}
	c := &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return errTooManyRedirects
			}
			return nil
		},
	}
	return c, tr.CloseIdleConnections
}
