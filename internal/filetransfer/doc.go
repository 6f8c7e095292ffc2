// Package filetransfer moves files over HTTP the way Nix 2.8's FileTransfer does: downloads (whole or streamed), uploads, status handling, error texts, retries, timeouts.
package filetransfer
