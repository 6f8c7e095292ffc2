package local

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"gonix/internal/store"
)

func TestAddSignatures(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{Root: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.AddText(ctx, "signed", "hello", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddSignatures(ctx, p, []string{"k2:bbbb", "k1:aaaa"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSignatures(ctx, p, []string{"k1:aaaa", "k0:cccc"}); err != nil {
		t.Fatal(err)
	}
	info, err := s.QueryPathInfo(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"k0:cccc", "k1:aaaa", "k2:bbbb"}; !reflect.DeepEqual(info.Sigs, want) {
		t.Errorf("sigs %q, want %q", info.Sigs, want)
	}
	err = s.AddSignatures(ctx, "/nix/store/00000000000000000000000000000000-x", []string{"k:x"})
	if !errors.Is(err, store.ErrNotValid) {
		t.Errorf("invalid path: %v", err)
	}
}
