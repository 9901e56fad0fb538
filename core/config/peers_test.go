package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPeersTable(t *testing.T) {
	tests := []struct {
		text, want string
		listen     string
		after      time.Duration
	}{
		{"", "", "", 10 * time.Minute},
		{"[peers]\nlisten = \":7420\"\noffline_alert_after = \"1h\"\n", "", ":7420", time.Hour},
		{"[peers]\noffline_alert_after = \"0s\"\n", "", "", 0},
		{"[peers]\nlisten = \"7420\"\n", `config.toml:2: peers.listen: "7420" is not host:port`, "", 0},
		{"[peers]\noffline_alert_after = \"5s\"\n", "config.toml:2: peers.offline_alert_after: 5s is not 0s or between", "", 0},
		{"[peers]\nlistn = \":1\"\n", `unknown key "peers.listn"`, "", 0},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "config.toml")
		os.WriteFile(path, []byte(tt.text), 0o600)
		c, err := Load(path)
		if tt.want != "" {
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%q: err %v, want %q", tt.text, err, tt.want)
			}
			continue
		}
		if err != nil || c.Peers.Listen != tt.listen || c.Peers.OfflineAlertAfter.Duration != tt.after {
			t.Errorf("%q: %+v %v", tt.text, c.Peers, err)
		}
	}
}
