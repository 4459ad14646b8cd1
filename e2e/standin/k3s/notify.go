package main

import (
	"net"
	"os"
)

// notifyReady tells systemd the service is ready (sd_notify READY=1), as
// k3s does once it serves; without $NOTIFY_SOCKET it does nothing.
func notifyReady() {
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" {
		return
	}
	if sock[0] == '@' {
		sock = "\x00" + sock[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		logf("warning", "sd_notify: %v", err)
		return
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("READY=1")); err != nil {
		logf("warning", "sd_notify: %v", err)
	}
}
