package lock

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for a k3sup-pi run that holds the
// local lock until it is killed.
func TestMain(m *testing.M) {
	if inv := os.Getenv("LOCK_TEST_HOLD"); inv != "" {
		l, err := LockInventory(context.Background(), inv, NewHolder("up"), 0, 0, nil)
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("locked", l.Path)
		select {} // until killed
	}
	os.Exit(m.Run())
}

func localSetup(t *testing.T) string {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	inv := filepath.Join(t.TempDir(), "inventory.yml")
	must(t, os.WriteFile(inv, []byte("hosts: []\n"), 0o644))
	return inv
}

// TestLocalLock: a second lock on the same inventory is refused, naming the
// holder; the same inventory through another path too; another inventory is
// free; after Release the lock is free again.
func TestLocalLock(t *testing.T) {
	inv := localSetup(t)
	first := me()
	l, err := LockInventory(context.Background(), inv, first, 0, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "link.yml")
	must(t, os.Symlink(inv, link))
	for _, path := range []string{inv, link} {
		_, err = LockInventory(context.Background(), path, NewHolder("reset"), 0, 0, nil)
		var busy *BusyError
		want := "inventory " + path + ": held by " + first.String()
		if !errors.As(err, &busy) || !strings.Contains(err.Error(), want) {
			t.Errorf("second lock via %s: %v, want %q", path, err, want)
		}
	}
	other := filepath.Join(filepath.Dir(inv), "other.yml")
	l2, err := LockInventory(context.Background(), other, NewHolder("up"), 0, 0, nil)
	if err != nil {
		t.Errorf("another inventory: %v", err)
	}
	l2.Release()
	l.Release()
	l.Release()
	var warned []string
	l3, err := LockInventory(context.Background(), inv, NewHolder("up"), 0, 0, func(s string) { warned = append(warned, s) })
	if err != nil || len(warned) > 0 {
		t.Fatalf("after release: %v, warnings %q", err, warned)
	}
	l3.Release()
}

// TestLocalLockWaits: with a wait, the lock is taken once the holder lets go.
func TestLocalLockWaits(t *testing.T) {
	inv := localSetup(t)
	l, err := LockInventory(context.Background(), inv, me(), 0, 0, nil)
	must(t, err)
	done := make(chan error, 1)
	go func() {
		l2, err := LockInventory(context.Background(), inv, NewHolder("reset"), 30*time.Second, 10*time.Millisecond, nil)
		l2.Release()
		done <- err
	}()
	l.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestLocalLockAfterKill: the kernel drops the lock of a process killed with
// SIGKILL; the next run takes it and says that the previous one never released it.
func TestLocalLockAfterKill(t *testing.T) {
	inv := localSetup(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LOCK_TEST_HOLD="+inv)
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "locked ") {
		t.Fatalf("holder: %q %v", line, err)
	}
	_, err = LockInventory(context.Background(), inv, me(), 0, 0, nil)
	if want := fmt.Sprintf("pid %d on", cmd.Process.Pid); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("while held: %v, want %q", err, want)
	}
	must(t, cmd.Process.Kill())
	_ = cmd.Wait()
	var warned []string
	l, err := LockInventory(context.Background(), inv, me(), 0, 0, func(s string) { warned = append(warned, s) })
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	want := fmt.Sprintf("was left by k3sup-pi up (pid %d on", cmd.Process.Pid)
	if len(warned) != 1 || !strings.Contains(warned[0], want) {
		t.Errorf("warnings %q, want %q", warned, want)
	}
}
