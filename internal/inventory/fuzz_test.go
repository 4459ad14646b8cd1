package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/localfile"
)

// What FuzzLoad puts at the inventory path, chosen by the input's kind byte.
const (
	kindFile    = iota // a regular file holding the data
	kindSymlink        // a symbolic link to such a file
	kindFIFO           // a named pipe: a read would block
	kindDir            // a directory
	kindHuge           // a regular file one byte over the size cap
	kindMissing        // nothing
	kindDevice         // a link to /dev/zero: endless
	kinds
)

// FuzzLoad feeds arbitrary bytes to Load through a file, as a user's
// inventory goes: it must never panic or hang, and it must return either a
// usable inventory or an error that says where: an *Error whose every line
// starts with the file's name and whose every problem about a key has a
// line, or (for a path that is not a readable regular file) an error naming
// the path.
func FuzzLoad(f *testing.F) {
	if data, err := os.ReadFile("../../inventory.example.yml"); err == nil {
		f.Add(uint8(kindFile), data)
	}
	for _, s := range []string{"", "hosts: []", oneHost, "- a", "a: [", "cluster: {token: x, token_file: y}\n" + oneHost,
		"hosts:\n  - &a {address: a}\n  - <<: [*a, *a]\n    address: b\n", "hosts:\n  - address: a\n    labels: {x: *y}\n",
		"hosts:\n  - {address: a, taints: [\"k=v:NoSchedule\"], labels: {a/b: c}}\n",
		"hosts:\n\t- address: a\n", "hosts:\n  - address: \xff\n", "ssh:\n  key: \"a\\nb\"\n" + oneHost,
		"cluster:\n  server_config:\n    a: &a [x, x]\n    b: [*a, *a]\n" + oneHost} {
		f.Add(uint8(kindFile), []byte(s))
	}
	for k := kindSymlink; k < kinds; k++ {
		f.Add(uint8(k), []byte(oneHost))
	}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		path := filepath.Join(t.TempDir(), "inventory.yml")
		k := int(kind) % kinds
		place(t, k, path, data)
		inv, err := Load(path)
		if k == kindFile || k == kindSymlink {
			checkLoaded(t, path, inv, err)
			return
		}
		var ie *Error
		if err == nil || errors.As(err, &ie) || !strings.Contains(err.Error(), path) {
			t.Fatalf("kind %d: want a read error naming %s, got %T %v", k, path, err, err)
		}
	})
}

// place puts at path what kind k says.
func place(t *testing.T, k int, path string, data []byte) {
	t.Helper()
	var err error
	switch k {
	case kindFile:
		err = os.WriteFile(path, data, 0o600)
	case kindSymlink:
		if err = os.WriteFile(path+".target", data, 0o600); err == nil {
			err = os.Symlink(path+".target", path)
		}
	case kindFIFO:
		err = syscall.Mkfifo(path, 0o600)
	case kindDir:
		err = os.Mkdir(path, 0o700)
	case kindHuge:
		if err = os.WriteFile(path, data, 0o600); err == nil {
			err = os.Truncate(path, localfile.MaxInventory+1+int64(len(data)))
		}
	case kindDevice:
		err = os.Symlink("/dev/zero", path)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// checkLoaded checks what Load returned for a regular file.
func checkLoaded(t *testing.T, path string, inv *Inventory, err error) {
	t.Helper()
	if err == nil {
		if inv == nil || len(inv.Hosts) == 0 || len(inv.Servers()) == 0 {
			t.Fatalf("a valid inventory needs hosts and a server: %+v", inv)
		}
		return
	}
	var ie *Error
	if !errors.As(err, &ie) || len(ie.Problems) == 0 {
		t.Fatalf("want *Error with problems, got %T %v", err, err)
	}
	for _, p := range ie.Problems {
		if p.Path != "" && p.Line == 0 {
			t.Errorf("problem without a position: %s", p.format(path))
		}
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(ie.Problems) {
		t.Fatalf("Error() must print one problem per line: %d lines for %d problems:\n%s", len(lines), len(ie.Problems), err)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, path+":") {
			t.Fatalf("a line of the error does not start with the file's name:\n%q", l)
		}
	}
}
