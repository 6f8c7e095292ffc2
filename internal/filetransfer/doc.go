// Package filetransfer downloads URLs the way Nix 2.8's FileTransfer does: status handling, error texts, retries.
package filetransfer
