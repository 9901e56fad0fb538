package peers

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/holdfast/holdfast/core/monitor"
	"github.com/holdfast/holdfast/core/monitor/tsdb"
	"github.com/holdfast/holdfast/peers/wire"
)

// machineTick is a tick shaped like a real machine's: per-CPU, per-disk
// and per-interface series with labels, gauges and counters.
func machineTick(at time.Time, v float64) monitor.Tick {
	t := monitor.Tick{At: at}
	add := func(name string, kind tsdb.Kind, val float64, labels ...string) {
		var ls tsdb.Labels
		for i := 0; i+1 < len(labels); i += 2 {
			ls = append(ls, tsdb.Label{Name: labels[i], Value: labels[i+1]})
		}
		t.Samples = append(t.Samples, monitor.Sample{Name: name, Labels: ls, Kind: kind, Value: val})
	}
	for cpu := range 8 {
		add("cpu_usage_ratio", tsdb.Gauge, v/float64(cpu+1), "cpu", fmt.Sprint(cpu))
	}
	add("cpu_usage_ratio", tsdb.Gauge, v)
	add("memory_used_bytes", tsdb.Gauge, 8<<30+v*4096)
	add("memory_total_bytes", tsdb.Gauge, 32<<30)
	for _, dev := range []string{"sda", "nvme0n1"} {
		add("disk_read_bytes", tsdb.Counter, 1e12+v*1e6, "device", dev)
		add("disk_written_bytes", tsdb.Counter, 2e12+v*1e6, "device", dev)
		add("filesystem_used_bytes", tsdb.Gauge, 1e11+v, "device", dev, "mountpoint", "/"+dev)
	}
	for _, nic := range []string{"eth0", "wlan0"} {
		add("network_received_bytes", tsdb.Counter, 5e9+v*1e3, "interface", nic)
		add("network_sent_bytes", tsdb.Counter, 3e9+v*1e3, "interface", nic)
	}
	add("load1", tsdb.Gauge, v*2)
	return t
}

// TestSeriesRefsRoundTrip: a stream of ticks through the encoder, the
// wire and the decoder arrives as the plain conversion would send it,
// while later ticks carry only refs and values; a series that appears
// later gets a ref of its own.
func TestSeriesRefsRoundTrip(t *testing.T) {
	enc, dec := newSeriesEncoder(), &seriesDecoder{}
	base := time.UnixMilli(1_700_000_000_000)
	for i := range 5 {
		tk := machineTick(base.Add(time.Duration(i)*time.Second), 0.1+float64(i)/7)
		if i == 3 {
			tk.Samples = append(tk.Samples, monitor.Sample{Name: "swap_used_bytes", Value: 42})
		}
		wt := enc.encode(tk)
		b, err := wire.Encode(wire.Msg{Type: wire.TEvent, ID: 1, Tick: wt})
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := wire.Encode(wire.Msg{Type: wire.TEvent, ID: 1, Tick: tickToWire(tk)})
		if i > 0 && i != 3 && len(b)*2 > len(plain) {
			t.Errorf("tick %d: %d bytes with refs, %d without", i, len(b), len(plain))
		}
		m, err := wire.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if err := dec.resolve(m.Tick); err != nil {
			t.Fatalf("tick %d: %v", i, err)
		}
		for j := range m.Tick.Samples {
			m.Tick.Samples[j].Ref = 0
		}
		if want := tickToWire(tk); !reflect.DeepEqual(*m.Tick, *want) {
			t.Fatalf("tick %d arrived as\n%+v\nwant\n%+v", i, *m.Tick, *want)
		}
	}
}

// TestSeriesRefsUndo: a tick that was not sent gives its refs back, and
// the next tick defines them again.
func TestSeriesRefsUndo(t *testing.T) {
	enc, dec := newSeriesEncoder(), &seriesDecoder{}
	tk := machineTick(time.Now(), 0.5)
	enc.encode(tk)
	enc.undo() // dropped: the queue was full
	wt := enc.encode(tk)
	for _, s := range wt.Samples {
		if s.Name == "" {
			t.Fatalf("after an undo, series %d is sent without its name", s.Ref)
		}
	}
	if err := dec.resolve(wt); err != nil {
		t.Fatal(err)
	}
	if int(enc.next) != len(tk.Samples) || len(enc.byName) != 9 {
		t.Errorf("encoder gave %d refs to %d names, want %d to 9", enc.next, len(enc.byName), len(tk.Samples))
	}
}

func TestSeriesRefsUnknownRefBreaksTheProtocol(t *testing.T) {
	dec := &seriesDecoder{}
	err := dec.resolve(&wire.Tick{Samples: []wire.Sample{{Ref: 7, Value: 1}}})
	if err == nil {
		t.Error("a ref never defined was accepted")
	}
}

// BenchmarkDecodeTick compares decoding a machine's tick on the
// receiving side, named in full and by refs.
func BenchmarkDecodeTick(b *testing.B) {
	tk := machineTick(time.Now(), 0.37)
	enc := newSeriesEncoder()
	first := enc.encode(tk)
	for _, bc := range []struct {
		name string
		tick *wire.Tick
	}{{"names", tickToWire(tk)}, {"refs", enc.encode(tk)}} {
		raw, err := wire.Encode(wire.Msg{Type: wire.TEvent, ID: 1, Tick: bc.tick})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			dec := &seriesDecoder{}
			if err := dec.resolve(first); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				m, err := wire.Decode(raw)
				if err != nil {
					b.Fatal(err)
				}
				if err := dec.resolve(m.Tick); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(raw)), "bytes/tick")
		})
	}
}
