package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/holdfast/holdfast/peers"
)

// peerCommand is `holdfast peer id|list|invite|join|rename|grant|revoke|remove`.
func (a *app) peerCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "peer",
		Short: "Pair with other Holdfast instances and manage the paired peers",
		Long: `Pair this device with other Holdfast instances (desktops and 'holdfast serve'
servers) and manage what each may do here. One device runs its engine with
--listen and makes a one-time code with 'peer invite'; the other pastes it
into 'peer join'. Each then trusts the other with observe permission (status,
metrics, alerts, tasks); 'peer grant NAME control' also lets it run jobs,
pause or cancel tasks and acknowledge alerts here. PEER is a peer's name or
a prefix of its device ID.`,
	}
	cmd.AddCommand(a.peerIDCommand(), a.peerListCommand(), a.peerInviteCommand(), a.peerJoinCommand(),
		a.peerRenameCommand(), a.peerPermCommand(true), a.peerPermCommand(false), a.peerRemoveCommand())
	return cmd
}

func (a *app) peerIDCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "id",
		Short: "Show this device's ID",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var info peers.IDInfo
			if _, err := a.op(cmd.Context(), peers.OpID, struct{}{}, nil, &info); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, info)
			}
			fmt.Fprintln(a.stdout, info.ID)
			if len(info.Listen) > 0 {
				fmt.Fprintf(a.stdout, "%s accepts peers on %s\n", info.Device, strings.Join(info.Listen, ", "))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	return cmd
}

func (a *app) peerListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the paired peers, whether they are online, and what they may do here",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var list []peers.PeerInfo
			if _, err := a.op(cmd.Context(), peers.OpList, struct{}{}, nil, &list); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, list)
			}
			if len(list) == 0 {
				fmt.Fprintln(a.stdout, "No peers yet. Pair with 'holdfast peer invite' here and 'holdfast peer join CODE' there.")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tID\tSTATE\tLAST SEEN\tPERMISSIONS\tADDRESSES")
			for _, p := range list {
				seen := "never"
				if p.Online {
					seen = "now"
				} else if !p.LastSeen.IsZero() {
					seen = p.LastSeen.Local().Format(time.DateTime)
				}
				perms := make([]string, len(p.Permissions))
				for i, x := range p.Permissions {
					perms[i] = string(x)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.ID.Short(), p.State, seen, dash(strings.Join(perms, ",")), dash(strings.Join(p.Addresses, ", ")))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (a *app) peerInviteCommand() *cobra.Command {
	var asJSON bool
	var expires time.Duration
	cmd := &cobra.Command{
		Use:   "invite [--expires 10m]",
		Short: "Make a one-time code another device joins with",
		Long: `Make a one-time pairing code. It carries this device's ID, the addresses
its engine accepts peers on and a secret, works once, and expires (10
minutes unless --expires says otherwise). The engine of this home must be
running with a listen address ('holdfast serve --listen :7420', or listen in
[peers] of config.toml), since the other device connects to it.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if expires <= 0 {
				return usageErr(fmt.Errorf("--expires %s: give a positive duration, like 10m", expires))
			}
			var inv peers.InviteInfo
			if _, err := a.op(cmd.Context(), peers.OpInvite, peers.InviteArgs{Expires: expires.String()}, nil, &inv); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, inv)
			}
			fmt.Fprintln(a.stdout, inv.Code)
			fmt.Fprintf(a.stderr, "On the other device run:  holdfast peer join CODE   (valid once, until %s)\n", inv.Expires.Local().Format(time.DateTime))
			return nil
		},
	}
	cmd.Flags().DurationVar(&expires, "expires", peers.DefaultInviteExpiry, "how long the code stays valid")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	return cmd
}

func (a *app) peerJoinCommand() *cobra.Command {
	var asJSON bool
	var name string
	cmd := &cobra.Command{
		Use:   "join CODE [--name NAME]",
		Short: "Pair with the device that made CODE",
		Long: `Pair with the device that made CODE ('holdfast peer invite' there): connect to
it, check that it is the device the code names, prove this side holds the
code, and trust each other with observe permission. --name is what this
device calls the other one (default: its device name).`,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if len(pos) != 1 {
				return usageErr(fmt.Errorf("peer join takes one invite code, got %d arguments", len(pos)))
			}
			var p peers.PeerInfo
			if _, err := a.op(cmd.Context(), peers.OpJoin, peers.JoinArgs{Code: pos[0], Name: name}, nil, &p); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, p)
			}
			fmt.Fprintf(a.stdout, "Paired with %s (%s). It may observe this device; 'holdfast peer grant %s control' lets it control it.\n", p.Name, p.ID, p.Name)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the name this device gives the other one")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	return cmd
}

func (a *app) peerRenameCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rename PEER NEW-NAME",
		Short: "Give a peer another name",
		RunE: func(cmd *cobra.Command, pos []string) error {
			if len(pos) != 2 {
				return usageErr(fmt.Errorf("peer rename takes PEER and NEW-NAME, got %d arguments", len(pos)))
			}
			var p peers.PeerInfo
			if _, err := a.op(cmd.Context(), peers.OpRename, peers.PeerArgs{Peer: pos[0], Name: pos[1]}, nil, &p); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Renamed %s to %s.\n", p.ID.Short(), p.Name)
			return nil
		},
	}
}

func (a *app) peerPermCommand(grant bool) *cobra.Command {
	use, op, short := "grant PEER observe|control", peers.OpGrant, "Let a peer observe or control this device"
	if !grant {
		use, op, short = "revoke PEER [observe|control]", peers.OpRevoke, "Take a permission from a peer (all of them when none is named: the peer is then refused)"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if len(pos) < 1 || len(pos) > 2 || (grant && len(pos) != 2) {
				return usageErr(fmt.Errorf("usage: holdfast peer %s", use))
			}
			args := peers.PeerArgs{Peer: pos[0]}
			if len(pos) == 2 {
				args.Permission = pos[1]
			}
			var p peers.PeerInfo
			if _, err := a.op(cmd.Context(), op, args, nil, &p); err != nil {
				return err
			}
			perms := make([]string, len(p.Permissions))
			for i, x := range p.Permissions {
				perms[i] = string(x)
			}
			if len(perms) == 0 {
				fmt.Fprintf(a.stdout, "%s has no permission left: it is refused until granted one again.\n", p.Name)
				return nil
			}
			fmt.Fprintf(a.stdout, "%s may now: %s.\n", p.Name, strings.Join(perms, ", "))
			return nil
		},
	}
}

func (a *app) peerRemoveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "remove PEER",
		Short: "Forget a peer: its connection is cut and it is refused from now on",
		RunE: func(cmd *cobra.Command, pos []string) error {
			if len(pos) != 1 {
				return usageErr(fmt.Errorf("peer remove takes one PEER, got %d arguments", len(pos)))
			}
			var p peers.PeerInfo
			if _, err := a.op(cmd.Context(), peers.OpRemove, peers.PeerArgs{Peer: pos[0]}, nil, &p); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Removed %s (%s).\n", p.Name, p.ID.Short())
			return nil
		},
	}
}
