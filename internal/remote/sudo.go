package remote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/k3sup-pi/k3sup-pi/internal/localfile"
	"github.com/k3sup-pi/k3sup-pi/internal/redact"
)

// SudoPassword is the run's single source of the sudo password. It is safe
// for concurrent use and obtains the password at most once.
type SudoPassword struct {
	env, file string
	prompt    func() ([]byte, error)

	mu   sync.Mutex
	done bool
	pw   []byte
	err  error
}

// NewSudoPassword returns a source that takes the password from the
// environment variable env, else from file, else from prompt (a terminal);
// empty env/file and a nil prompt are skipped.
func NewSudoPassword(env, file string, prompt func() ([]byte, error)) *SudoPassword {
	return &SudoPassword{env: env, file: file, prompt: prompt}
}

// Get returns the password, obtaining it on the first call only.
func (s *SudoPassword) Get() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		s.pw, s.err = s.obtain()
		s.done = true
		if s.err == nil {
			redact.Add(string(s.pw))
		}
	}
	return s.pw, s.err
}

func (s *SudoPassword) obtain() ([]byte, error) {
	if s.env != "" {
		if v, ok := os.LookupEnv(s.env); ok && v != "" {
			return []byte(v), nil
		}
	}
	if s.file != "" {
		b, err := localfile.Read(context.Background(), s.file, localfile.MaxSecret)
		if err != nil {
			return nil, fmt.Errorf("read sudo password file: %w", err)
		}
		return []byte(strings.TrimRight(string(b), "\r\n")), nil
	}
	if s.prompt != nil {
		pw, err := s.prompt()
		if err != nil {
			return nil, fmt.Errorf("ask sudo password: %w", err)
		}
		return pw, nil
	}
	return nil, errors.New("sudo needs a password and none was given (no terminal, no password variable or file)")
}
