// Package storecheck checks that a local store survived a crash intact: its SQLite database, and every valid path's files against the NAR hash and size registered for it.
package storecheck
