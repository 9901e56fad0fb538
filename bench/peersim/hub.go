package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/home"
	"github.com/holdfast/holdfast/peers"
)

// hub is the `holdfast serve` under test, reached as the CLI reaches it:
// the holdfast binary for invites, and its engine.sock for everything
// the benchmark repeats (a CLI process per call would measure process
// start, not the hub).
type hub struct {
	bin  string // the holdfast binary
	home string
	pid  int
	sock string
}

func newHub(bin, homeDir string, pid int) *hub {
	return &hub{bin: bin, home: homeDir, pid: pid, sock: filepath.Join(homeDir, home.SocketFile)}
}

// do runs one request on the hub's engine over a fresh socket connection,
// as each CLI command does.
func (h *hub) do(ctx context.Context, req control.Request) (control.Result, error) {
	conn, err := control.Dial(h.sock)
	if err != nil {
		return control.Result{}, err
	}
	res, err := control.Do(ctx, conn, req, nil, time.Second)
	if err != nil {
		return res, fmt.Errorf("hub %s: %w", req.Op, err)
	}
	if err := res.Err(); err != nil {
		return res, fmt.Errorf("hub %s: %w", req.Op, err)
	}
	return res, nil
}

// call forwards req to the hub's peer named peer: `holdfast status
// --peer NAME` without the process.
func (h *hub) call(ctx context.Context, peer string, req control.Request) (control.Result, error) {
	args, err := json.Marshal(peers.CallArgs{Peer: peer, Request: req})
	if err != nil {
		return control.Result{}, err
	}
	return h.do(ctx, control.Request{Op: peers.OpCall, Args: args})
}

// invite makes a one-time code with the real CLI: `holdfast peer invite
// --json` against the hub's home.
func (h *hub) invite(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, h.bin, "peer", "invite", "--json", "--expires", "10m", "--home", h.home).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", fmt.Errorf("holdfast peer invite: %w: %s", err, ee.Stderr)
		}
		return "", fmt.Errorf("holdfast peer invite: %w", err)
	}
	var inv peers.InviteInfo
	if err := json.Unmarshal(out, &inv); err != nil || inv.Code == "" {
		return "", fmt.Errorf("holdfast peer invite --json printed %q: %v", out, err)
	}
	return inv.Code, nil
}

// list is the hub's `peer list --json`, by name.
func (h *hub) list(ctx context.Context) (map[string]peers.PeerInfo, error) {
	res, err := h.do(ctx, control.Request{Op: peers.OpList})
	if err != nil {
		return nil, err
	}
	var l []peers.PeerInfo
	if err := json.Unmarshal(res.Data, &l); err != nil {
		return nil, fmt.Errorf("hub peers.list: %w", err)
	}
	out := make(map[string]peers.PeerInfo, len(l))
	for _, p := range l {
		out[p.Name] = p
	}
	return out, nil
}

// status is the hub's own status, raw: the simulated devices answer
// `status` with it.
func (h *hub) status(ctx context.Context) (json.RawMessage, error) {
	res, err := h.do(ctx, control.Request{Op: statusOp})
	if err != nil {
		return nil, err
	}
	return res.Data, nil
}
