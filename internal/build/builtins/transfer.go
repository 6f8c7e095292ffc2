package builtins

import "gonix/internal/filetransfer"

// The transfer itself (status handling, Nix's error texts, retries) is
// internal/filetransfer's, shared with builtins.fetchurl in the
// evaluator; what is builtin:fetchurl's own is the client (TLS peers not
// verified), the sinks (a file or a NAR restored as it streams in) and
// the names below, which callers of this package use.

// HTTPDoer sends one HTTP request; *http.Client satisfies it. Redirects
// are the doer's business (Nix lets curl follow at most 10).
type HTTPDoer = filetransfer.Doer

// UserAgent is sent with every request, in Nix's "curl/… Nix/2.8.0" shape
// with this program named instead of curl.
const UserAgent = filetransfer.UserAgent

// TransferError is a download that failed on the network side (as opposed
// to a failure of the sink the body was written to). Its message is Nix's;
// NotFound reports whether the resource is definitely missing (HTTP 404
// or 410, an unreadable file:// file).
type TransferError = filetransfer.Error
