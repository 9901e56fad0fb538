package alerts

import (
	"context"
	"fmt"
	"time"

	"github.com/holdfast/holdfast/core/control"
)

// Control operations.
const (
	OpList    = "alerts.list"
	OpAck     = "alerts.ack"
	OpSilence = "alerts.silence"
	// OpRules lists the metric rules, so a paired desktop shows a peer's
	// alert values in the units of the rules that raised them.
	OpRules = "alerts.rules"
)

// ListArgs select alerts: active ones, or with All the history too.
type ListArgs struct {
	All bool `json:"all,omitempty"`
}

// IDArgs name one alert; Until is for silence.
type IDArgs struct {
	ID    string    `json:"id"`
	Until time.Time `json:"until,omitzero"`
}

// Register adds the alert operations to r.
func (s *Service) Register(r interface {
	Handle(op string, h control.Handler)
}) {
	r.Handle(OpList, func(ctx context.Context, c *control.Call) (any, error) {
		var args ListArgs
		if err := c.Decode(&args); err != nil {
			return nil, err
		}
		out := s.Active()
		if args.All {
			out = append(out, s.History(0)...)
		}
		if out == nil {
			out = []Alert{}
		}
		return out, nil
	})
	r.Handle(OpRules, func(ctx context.Context, c *control.Call) (any, error) {
		return s.Rules(), nil
	})
	r.Handle(OpAck, func(ctx context.Context, c *control.Call) (any, error) {
		var args IDArgs
		if err := c.Decode(&args); err != nil {
			return nil, err
		}
		if err := s.Ack(args.ID); err != nil {
			return nil, fmt.Errorf("acknowledge %s: %w", args.ID, err)
		}
		a, _ := s.Get(args.ID)
		return a, nil
	})
	r.Handle(OpSilence, func(ctx context.Context, c *control.Call) (any, error) {
		var args IDArgs
		if err := c.Decode(&args); err != nil {
			return nil, err
		}
		if !args.Until.After(time.Now()) {
			return nil, control.Usagef("silence: --until must be in the future")
		}
		if err := s.Silence(args.ID, args.Until); err != nil {
			return nil, fmt.Errorf("silence %s: %w", args.ID, err)
		}
		a, _ := s.Get(args.ID)
		return a, nil
	})
}
