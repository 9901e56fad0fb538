package ui

// Words and numbers of the Peers page and the device switcher.

import (
	"fmt"
	"strings"
	"time"

	"github.com/holdfast/holdfast/peers"
	"github.com/holdfast/holdfast/peers/trust"
)

// peerStateText says how a peer is: "online · 1.2 ms", "offline · last
// seen 5 min ago", "never connected", "revoked".
func peerStateText(p peers.PeerInfo, now time.Time) string {
	switch {
	case p.Online:
		if p.RTTMillis > 0 {
			return "online · " + peerRTT(p.RTTMillis)
		}
		return "online"
	case p.Revoked():
		return "revoked: it may do nothing here"
	case p.LastSeen.IsZero():
		return "offline · never connected"
	}
	return "offline · last seen " + peerAgo(p.LastSeen, now)
}

// peerRTT writes a round-trip time: "0.4 ms", "12 ms".
func peerRTT(ms float64) string {
	if ms < 10 {
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.0f ms", ms)
}

// peerAgo is "just now", "5 min ago", or the clock for older times.
func peerAgo(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < 24*time.Hour:
		return alSpan(d) + " ago"
	}
	return alClock(t, now)
}

// peerDetail is the second line of a peer's row: its own name when it
// differs, its version and its addresses.
func peerDetail(p peers.PeerInfo) string {
	var parts []string
	if p.DeviceName != "" && p.DeviceName != p.Name {
		parts = append(parts, "calls itself "+p.DeviceName)
	}
	if p.Version != "" {
		parts = append(parts, "Holdfast "+p.Version)
	}
	parts = append(parts, "ID "+p.ID.Short())
	if len(p.Addresses) > 0 {
		a := p.Addresses[0]
		if n := len(p.Addresses) - 1; n > 0 {
			a += fmt.Sprintf(" (+%d)", n)
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " · ")
}

// peerPerms says what a peer may do here, in words.
func peerPerms(p peers.PeerInfo) string {
	switch {
	case p.Can(trust.Control):
		return "may watch and control this device"
	case p.Can(trust.Observe):
		return "may watch this device"
	}
	return "may do nothing here"
}

// peerGranted says what a peer lets this device do there.
func peerGranted(g peers.GrantedInfo) string {
	switch {
	case g.Can(trust.Control):
		return "this device may watch and control it"
	case g.Can(trust.Observe):
		return "this device may watch it"
	}
	return "this device may do nothing there"
}

// inviteLeft is an invite's countdown: "expires in 9:41", "expired".
func inviteLeft(exp, now time.Time) string {
	d := exp.Sub(now).Round(time.Second)
	if d <= 0 {
		return "This code has expired: make a new one."
	}
	if d >= time.Hour {
		return "Expires in " + alSpan(d) + "; it works once."
	}
	return fmt.Sprintf("Expires in %d:%02d; it works once.", int(d.Minutes()), int(d.Seconds())%60)
}

// compareFold orders names ignoring case.
func compareFold(a, b string) int {
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}
