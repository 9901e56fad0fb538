package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSavePeersListen(t *testing.T) {
	withTable := "# mine\n[general]\ndevice_name = \"desk\"\n\n[peers]\n  listen = \"\" # off\noffline_alert_after = \"5m\"\n"
	noKey := "[peers]\noffline_alert_after = \"5m\"\n\n[ui]\ntheme = \"dark\"\n"
	noTable := "[ui]\ntheme = \"dark\"\n"
	tests := []struct {
		name, old, listen string
		want              []string // lines the file must hold afterwards
		wantErr           string
	}{
		{"rewrites the line in place", withTable, ":7420", []string{"# mine", `  listen = ":7420"`, `offline_alert_after = "5m"`}, ""},
		{"turns it off", withTable, "", []string{`  listen = ""`}, ""},
		{"adds the key under [peers]", noKey, "127.0.0.1:7421", []string{"[peers]\nlisten = \"127.0.0.1:7421\"\noffline_alert_after", `theme = "dark"`}, ""},
		{"adds the table", noTable, ":7420", []string{`theme = "dark"`, "[peers]", `listen = ":7420"`}, ""},
		{"refuses a bad address", withTable, "7420", nil, "is not host:port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.toml")
			if err := os.WriteFile(path, []byte(tt.old), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := SavePeersListen(path, tt.listen)
			b, _ := os.ReadFile(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				if string(b) != tt.old {
					t.Errorf("the file changed after an error:\n%s", b)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Peers.Listen != tt.listen {
				t.Errorf("returned listen %q, want %q", cfg.Peers.Listen, tt.listen)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("file lacks %q:\n%s", w, b)
				}
			}
			loaded, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if loaded.Peers.Listen != tt.listen {
				t.Errorf("loaded listen %q, want %q", loaded.Peers.Listen, tt.listen)
			}
		})
	}
}
