package filetransfer

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"time"
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

// Connection pool defaults. Nix's http-connections is 25 parallel
// connections; idle ones are kept so that a closure's 1,000 narinfo and
// NAR requests reuse a few warm connections instead of dialling anew.
const (
	DefaultMaxIdleConnsPerHost = 64
	DefaultConnectTimeout      = 30 * time.Second
)

// errTooManyRedirects stops NewClient's clients after MaxRedirects; Get
// reports it as curl's error 47.
var errTooManyRedirects = errors.New("too many redirects")

// ClientOptions shape NewClientWith's client.
type ClientOptions struct {
	// TLS is the TLS policy; nil verifies peers against the system roots.
	TLS *tls.Config
	// ConnectTimeout bounds dialling and the TLS handshake (Nix's
	// connect-timeout); <= 0 means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// MaxIdleConnsPerHost is how many idle connections per host are kept
	// for reuse; <= 0 means DefaultMaxIdleConnsPerHost.
	MaxIdleConnsPerHost int
}

// NewClient is the client Nix's curl setup amounts to: proxies from the
// environment, at most MaxRedirects redirects, no Accept-Encoding of its
// own (curl does not ask for compression; a Content-Encoding the server
// sends anyway is undone by Get), and TLS as tlsConfig says (nil: peers
// verified against the system roots). The returned function releases
// idle connections.
func NewClient(tlsConfig *tls.Config) (*http.Client, func()) {
	return NewClientWith(ClientOptions{TLS: tlsConfig})
}

// NewClientWith is NewClient with a connect timeout and a connection pool
// sized for many concurrent requests to one host (binary caches).
func NewClientWith(o ClientOptions) (*http.Client, func()) {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.MaxIdleConnsPerHost <= 0 {
		o.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableCompression = true
	tr.DialContext = (&net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = o.ConnectTimeout
	tr.MaxIdleConnsPerHost = o.MaxIdleConnsPerHost
	if tr.MaxIdleConns < 4*o.MaxIdleConnsPerHost {
		tr.MaxIdleConns = 4 * o.MaxIdleConnsPerHost
	}
	if o.TLS != nil {
		tr.TLSClientConfig = o.TLS
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
