package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/holdfast/holdfast/core/backup"
)

// passwordFlags add --password-file to a command; the password itself
// may also come from HOLDFAST_PASSWORD. It travels in the request: the
// engine never reads the CLI's environment or files.
type passwordFlags struct {
	file string
}

func (p *passwordFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.file, "password-file", "", "read the repository password from FILE (default: $HOLDFAST_PASSWORD, or the remembered one)")
}

// forRepo checks --repo was given (recording its absolute form) and
// returns the request's secrets.
func (p *passwordFlags) forRepo(r *backup.RepoArgs) (map[string]string, error) {
	if err := requireRepo(r); err != nil {
		return nil, err
	}
	return p.secrets()
}

// secrets returns the request's secrets: the password if one was given.
func (p *passwordFlags) secrets() (map[string]string, error) {
	pw, ok, err := readSecret(p.file, "HOLDFAST_PASSWORD")
	if err != nil || !ok {
		return nil, err
	}
	return map[string]string{"password": pw}, nil
}

// readSecret reads a secret from a file (first line, without its newline)
// or else from an environment variable.
func readSecret(file, env string) (string, bool, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", false, usageErr(fmt.Errorf("password file: %w", err))
		}
		line, _, _ := strings.Cut(string(b), "\n")
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			return "", false, usageErr(fmt.Errorf("password file %s is empty", file))
		}
		return line, true, nil
	}
	if v, ok := os.LookupEnv(env); ok {
		return v, true, nil
	}
	return "", false, nil
}
