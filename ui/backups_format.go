package ui

// Words and numbers as the Backups page writes them.

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// bkAgo is how long ago t was, in words.
func bkAgo(t time.Time) string {
	d := time.Since(t)
	if d < 0 {
		d = 0
	}
	return humanDuration(d)
}

// bkSeconds formats a duration given in seconds.
func bkSeconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%.1f s", s)
	case d < time.Minute:
		return fmt.Sprintf("%.0f s", s)
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
}

func bkShort(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// bkPaths names the folders of a snapshot briefly.
func bkPaths(paths []string) string {
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	return strings.Join(names, ", ")
}

// bkFirst lists the first n items and how many more there are.
func bkFirst(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, "; ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], "; "), len(items)-n)
}

func bkWas(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

func bkThey(n int) string {
	if n == 1 {
		return "it was"
	}
	return "they were"
}

func bkVerbS(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}

// bkMiddle shortens long text in the middle.
func bkMiddle(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	half := (max - 1) / 2
	return string(r[:half]) + "…" + string(r[len(r)-half:])
}
