package peers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/peers/trust"
)

// OpGranted is the call a peer makes to learn what this device lets it
// do. Every trusted peer may ask it, whatever its permissions: the answer
// is its own record here, so a desktop offers only the actions a peer
// will accept (no Acknowledge button on an observe-only peer's alerts).
const OpGranted = "peers.granted"

// GrantedInfo answers OpGranted: the permissions this device grants the
// caller.
type GrantedInfo struct {
	Permissions []trust.Permission `json:"permissions"`
}

// Can reports whether the permissions allow perm (control includes
// observing, as the serving side decides).
func (g GrantedInfo) Can(perm trust.Permission) bool {
	p := trust.Peer{Permissions: g.Permissions}
	return p.Can(perm) || (perm == trust.Observe && p.Can(trust.Control))
}

// serveGranted answers a peer's OpGranted from its trust record.
func serveGranted(p trust.Peer) control.Result {
	perms := p.Permissions
	if perms == nil {
		perms = []trust.Permission{}
	}
	data, err := json.Marshal(GrantedInfo{Permissions: perms})
	if err != nil {
		return control.Result{Exit: control.ExitError, Error: fmt.Sprintf("%s: %v", OpGranted, err)}
	}
	return control.Result{Data: data}
}

// Granted asks the named peer which permissions it grants this device.
func (s *Service) Granted(ctx context.Context, peer string) (GrantedInfo, error) {
	res, err := s.Call(ctx, peer, control.Request{Op: OpGranted}, nil)
	if err == nil {
		err = res.Err()
	}
	if err != nil {
		return GrantedInfo{}, fmt.Errorf("ask %s for its permissions: %w", peer, err)
	}
	var g GrantedInfo
	if err := json.Unmarshal(res.Data, &g); err != nil {
		return GrantedInfo{}, fmt.Errorf("%s's permissions: %w", peer, err)
	}
	return g, nil
}
