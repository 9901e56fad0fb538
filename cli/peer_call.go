package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/peers"
)

// viaPeer wraps req so that the home's engine forwards it to the paired
// peer named peer (a name or device ID prefix); an empty peer leaves req
// for the home itself.
func viaPeer(peer string, req control.Request) control.Request {
	if peer == "" {
		return req
	}
	req.Secrets = nil // a peer uses its own secrets
	raw, err := json.Marshal(peers.CallArgs{Peer: peer, Request: req})
	if err != nil {
		panic(fmt.Sprintf("encode peer call: %v", err)) // plain values always encode
	}
	return control.Request{Op: peers.OpCall, Args: raw}
}

// opVia is op, run on the paired peer when peer is not empty.
func (a *app) opVia(ctx context.Context, peer, op string, args any, out any) (found bool, err error) {
	raw, err := json.Marshal(args)
	if err != nil {
		return false, err
	}
	return a.callInto(ctx, viaPeer(peer, control.Request{Op: op, Args: raw}), out)
}

// peerFlag adds --peer to a command that can run on a paired peer.
func peerFlag(f interface {
	StringVar(p *string, name, value, usage string)
}, peer *string) {
	f.StringVar(peer, "peer", "", "run on the paired peer NAME (a name or device ID prefix; see 'holdfast peer list'), through this home's running engine")
}
