// Package deps pins the project's third-party libraries in go.mod until the
// packages that use them land. It is removed once every import below is real.
package deps

import (
	_ "github.com/charmbracelet/lipgloss"
	_ "github.com/kevinburke/ssh_config"
	_ "github.com/pkg/sftp"
	_ "github.com/spf13/cobra"
	_ "github.com/spf13/viper"
	_ "golang.org/x/crypto/ssh"
	_ "golang.org/x/crypto/ssh/agent"
	_ "golang.org/x/crypto/ssh/knownhosts"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/term"
	_ "gopkg.in/yaml.v3"
	_ "k8s.io/client-go/tools/clientcmd"
	_ "k8s.io/client-go/tools/clientcmd/api"
)
