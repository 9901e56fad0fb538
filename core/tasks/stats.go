package tasks

import (
	"fmt"
	"sort"
	"time"
)

// Stats is what `holdfast stats --json` prints: the tasks that ended in
// the last Days days (today included), from the full history and, for
// older days, the daily totals.
type Stats struct {
	Days       int         `json:"days"`
	Overview   Overview    `json:"overview"`
	DailyStats []DayStats  `json:"daily_stats"`
	TypeStats  []TypeStats `json:"type_stats"`
}

// Overview sums up the whole period.
type Overview struct {
	TotalTasks      int `json:"total_tasks"`
	SuccessfulTasks int `json:"successful_tasks"`
	// FailedTasks counts failed and interrupted tasks; canceled ones are
	// neither successful nor failed.
	FailedTasks   int `json:"failed_tasks"`
	CanceledTasks int `json:"canceled_tasks"`
	// SuccessRate is successful_tasks / total_tasks in percent (0 when
	// there were none).
	SuccessRate float64 `json:"success_rate"`
	// AvgDuration is the mean running time, in seconds, of the tasks that
	// ran (queued time excluded).
	AvgDuration float64 `json:"avg_duration"`
	// TotalSize is the bytes processed by backups: the size of the files
	// each backup task covered, added up.
	TotalSize int64 `json:"total_size"`
}

// DayStats is one day of the period; every day is listed, oldest first.
type DayStats struct {
	Date        string  `json:"date"` // YYYY-MM-DD, local time
	Tasks       int     `json:"tasks"`
	Successful  int     `json:"successful"`
	Failed      int     `json:"failed"`
	SuccessRate float64 `json:"success_rate"`
}

// TypeStats is one kind of task over the period, by kind.
type TypeStats struct {
	Type        string  `json:"type"`
	Count       int     `json:"count"`
	Successful  int     `json:"successful"`
	Failed      int     `json:"failed"`
	AvgDuration float64 `json:"avg_duration"`
	Size        int64   `json:"size"`
}

// MaxStatsDays bounds Stats' period.
const MaxStatsDays = 3650

// Stats sums up the tasks that ended in the last days days.
func (r *Runner) Stats(days int) (Stats, error) {
	if days < 1 || days > MaxStatsDays {
		return Stats{}, fmt.Errorf("stats: %d days is not between 1 and %d", days, MaxStatsDays)
	}
	loc := r.opts.Location
	now := r.now().In(loc)
	y, m, d := now.Date()
	from := time.Date(y, m, d-days+1, 0, 0, 0, 0, loc)
	fromDate := from.Format(time.DateOnly)

	byDayKind := map[[2]string]*Daily{}
	add := func(dd Daily) {
		k := [2]string{dd.Date, dd.Kind}
		if byDayKind[k] == nil {
			byDayKind[k] = &Daily{Date: dd.Date, Kind: dd.Kind}
		}
		byDayKind[k].merge(dd)
	}
	err := r.st.each(func(t Task) {
		if !t.State.Ended() || t.Ended == nil || t.Ended.Before(from) {
			return
		}
		dd := Daily{Date: t.Ended.In(loc).Format(time.DateOnly), Kind: t.Kind}
		dd.add(t)
		add(dd)
	}, nil)
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	agg, err := r.st.dailyFrom(fromDate)
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	for _, dd := range agg {
		add(dd)
	}

	st := Stats{Days: days, DailyStats: make([]DayStats, 0, days), TypeStats: []TypeStats{}}
	perDay := map[string]*Daily{}
	perKind := map[string]*Daily{}
	var total Daily
	for k, dd := range byDayKind {
		if perDay[k[0]] == nil {
			perDay[k[0]] = &Daily{}
		}
		perDay[k[0]].merge(*dd)
		if perKind[k[1]] == nil {
			perKind[k[1]] = &Daily{Kind: k[1]}
		}
		perKind[k[1]].merge(*dd)
		total.merge(*dd)
		if dd.Kind == "backup" {
			st.Overview.TotalSize += dd.Size
		}
	}
	st.Overview.TotalTasks = total.Tasks
	st.Overview.SuccessfulTasks = total.Succeeded
	st.Overview.FailedTasks = total.Failed + total.Interrupted
	st.Overview.CanceledTasks = total.Canceled
	st.Overview.SuccessRate = rate(total.Succeeded, total.Tasks)
	st.Overview.AvgDuration = avg(total.Seconds, total.Timed)
	for i := range days {
		date := time.Date(y, m, d-days+1+i, 0, 0, 0, 0, loc).Format(time.DateOnly)
		ds := DayStats{Date: date}
		if dd := perDay[date]; dd != nil {
			ds.Tasks, ds.Successful, ds.Failed = dd.Tasks, dd.Succeeded, dd.Failed+dd.Interrupted
			ds.SuccessRate = rate(dd.Succeeded, dd.Tasks)
		}
		st.DailyStats = append(st.DailyStats, ds)
	}
	for kind, dd := range perKind {
		st.TypeStats = append(st.TypeStats, TypeStats{
			Type: kind, Count: dd.Tasks, Successful: dd.Succeeded, Failed: dd.Failed + dd.Interrupted,
			AvgDuration: avg(dd.Seconds, dd.Timed), Size: dd.Size,
		})
	}
	sort.Slice(st.TypeStats, func(i, j int) bool { return st.TypeStats[i].Type < st.TypeStats[j].Type })
	return st, nil
}

func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return roundTo(100*float64(n)/float64(of), 2)
}

func avg(sum float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return roundTo(sum/float64(n), 3)
}

func roundTo(v float64, places int) float64 {
	p := 1.0
	for range places {
		p *= 10
	}
	if v < 0 {
		return -float64(int64(-v*p+0.5)) / p
	}
	return float64(int64(v*p+0.5)) / p
}
