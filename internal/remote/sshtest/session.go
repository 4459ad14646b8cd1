package sshtest

import (
	"errors"
	"io"
	"os"
	"os/exec"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

func (s *Server) session(nc ssh.NewChannel) {
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	for req := range reqs {
		switch req.Type {
		case "exec":
			var p struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &p); err != nil {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			code := s.exec(ch, p.Command)
			_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(code)}))
			return
		case "subsystem":
			var p struct{ Name string }
			if err := ssh.Unmarshal(req.Payload, &p); err != nil || p.Name != "sftp" {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			srv, err := sftp.NewServer(ch)
			if err != nil {
				return
			}
			_ = srv.Serve()
			return
		default:
			_ = req.Reply(false, nil)
		}
	}
}

func (s *Server) exec(ch ssh.Channel, command string) int {
	s.mu.Lock()
	s.commands = append(s.commands, command)
	s.mu.Unlock()
	if s.cfg.Intercept != nil {
		if code, ok := s.cfg.Intercept(command); ok {
			return code
		}
	}
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Dir = s.cfg.Home
	cmd.Env = append(os.Environ(), "HOME="+s.cfg.Home, "PATH="+s.binDir+":"+os.Getenv("PATH"))
	cmd.Env = append(cmd.Env, s.cfg.Env...)
	cmd.Stdout = ch
	cmd.Stderr = ch.Stderr()
	in, err := cmd.StdinPipe()
	if err != nil {
		return 255
	}
	if err := cmd.Start(); err != nil {
		_, _ = io.WriteString(ch.Stderr(), err.Error())
		return 127
	}
	go func() {
		defer in.Close()
		if s.cfg.CutStdin == nil {
			_, _ = io.Copy(in, ch)
			return
		}
		all, _ := io.ReadAll(ch)
		_, _ = in.Write(s.cfg.CutStdin(all))
	}()
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return 255
	}
	return 0
}
