package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// server is one running k3s server.
type server struct {
	cfg       *Config
	p         paths
	id        identity
	ca        *authority
	secret    string
	store     *store
	advertise string
	started   time.Time
	pool      *x509.CertPool
	peers     *joinClient // HA replication client, used by loops only
}

// runServer starts a server (first or joining) and serves until ctx ends.
func runServer(ctx context.Context, cfg *Config) error {
	logf("info", "Starting k3s %s (%s)", version, commit())
	s, err := prepareServer(ctx, cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.BindAddress, strconv.Itoa(cfg.HTTPSPort)))
	if err != nil {
		return fmt.Errorf("starting kubernetes: listen on :%d: %w", cfg.HTTPSPort, err)
	}
	srv, err := s.httpServer()
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	logf("info", "Running kube-apiserver --advertise-address=%s --secure-port=%d", s.id.ips[0], cfg.HTTPSPort)
	if err := s.registerSelf(); err != nil {
		return err
	}
	go s.selfHeartbeat(ctx)
	go s.loops(ctx)
	notifyReady()
	logf("info", "k3s is up and running")
	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("apiserver exited: %w", err)
	}
	shut, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}

// prepareServer sets up identity, CA, token, store, certs and kubeconfig.
func prepareServer(ctx context.Context, cfg *Config) (*server, error) {
	id, err := loadIdentity(cfg)
	if err != nil {
		return nil, err
	}
	s := &server{cfg: cfg, p: newPaths(cfg.DataDir), id: id, started: time.Now()}
	s.advertise = "https://" + net.JoinHostPort(id.ips[0], strconv.Itoa(cfg.HTTPSPort))
	s.store, err = openStore(s.p.stateFile())
	if err != nil {
		return nil, err
	}
	s.store.graceHeartbeats()
	switch {
	case s.initialised():
		err = s.resumeCluster()
	case cfg.Server != "":
		err = s.bootstrapFrom(ctx)
	default:
		err = s.initCluster()
	}
	if err != nil {
		return nil, err
	}
	s.pool = x509.NewCertPool()
	s.pool.AppendCertsFromPEM(s.ca.certPEM)
	s.store.addServers(s.advertise)
	if err := s.writeTokens(); err != nil {
		return nil, err
	}
	return s, s.writeKubeconfig()
}

// initCluster creates the CA and the token secret of a new first server.
func (s *server) initCluster() error {
	ca, err := loadOrCreateCA(s.p)
	if err != nil {
		return err
	}
	s.ca = ca
	if s.cfg.Token != "" {
		tok, err := parseToken(s.cfg.Token)
		if err != nil {
			return fmt.Errorf("starting kubernetes: preparing server: %w", err)
		}
		s.secret = tok.secret
		return nil
	}
	s.secret = randomHex(16)
	return nil
}

func (s *server) writeTokens() error {
	full := []byte(fullToken(s.ca.certPEM, s.secret) + "\n")
	if err := writeFileAtomic(s.p.tokenFile(), full, 0o600); err != nil {
		return err
	}
	return writeFileAtomic(s.p.nodeToken(), full, 0o600)
}

// httpServer builds the TLS server: API (client certs) and join endpoints.
func (s *server) httpServer() (*http.Server, error) {
	dns, ips := servingSANs(s.id.hostname, s.id.ips, s.cfg.TLSSAN)
	if s.cfg.BindAddress != "" {
		dns, ips = servingSANs(s.id.hostname, append(s.id.ips, s.cfg.BindAddress), s.cfg.TLSSAN)
	}
	certPEM, keyPEM, err := s.ca.issue("kube-apiserver", nil, false, dns, ips)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(append(certPEM, s.ca.certPEM...), keyPEM)
	if err != nil {
		return nil, fmt.Errorf("loading serving certificate: %w", err)
	}
	mux := http.NewServeMux()
	s.apiRoutes(mux)
	s.joinRoutes(mux)
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          quietLog(),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: s.pool,
			ClientAuth: tls.VerifyClientCertIfGiven, MinVersion: tls.VersionTLS12},
	}, nil
}

// registerSelf registers the server's own node.
func (s *server) registerSelf() error {
	etcd := s.cfg.DatastoreEndpoint == "" && (s.cfg.ClusterInit || s.cfg.Server != "")
	reg := s.id.registration(s.cfg, baseLabels(s.id.name, true, etcd))
	if err := s.store.register(reg); err != nil {
		if errors.Is(err, errPasswordRejected) {
			return fmt.Errorf("starting kubernetes: %w", err)
		}
		return fmt.Errorf("registering node %s: %w", s.id.name, err)
	}
	logf("info", "Node %s registered with the cluster", s.id.name)
	return nil
}

// selfHeartbeat keeps the server's own node alive, Ready after the delay.
func (s *server) selfHeartbeat(ctx context.Context) {
	readyAt := time.Now().Add(durationSetting(readyDelayEnv, 2*time.Second))
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			s.store.heartbeat(s.id.name, !now.Before(readyAt))
		}
	}
}

// loops runs the NotReady sweeper and the HA replication.
func (s *server) loops(ctx context.Context) {
	after := durationSetting(notReadyAfterEnv, 15*time.Second)
	orphans := durationSetting(orphanSecretAgeEnv, orphanSecretAge)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.store.sweep(after)
			s.store.sweepSecrets(orphans)
			s.syncPeers(ctx)
		}
	}
}
