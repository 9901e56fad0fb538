package peers

import (
	"fmt"
	"math"
	"slices"

	"github.com/holdfast/holdfast/core/monitor"
	"github.com/holdfast/holdfast/core/monitor/tsdb"
	"github.com/holdfast/holdfast/peers/wire"
)

// capMetricRefs in a hello says this side resolves series refs in live
// metric streams (see wire.Sample): a peer streaming to it names each
// series once and then sends only its ref and value, about a quarter of
// the bytes, and a fraction of the decoding.
const capMetricRefs = "metrics.refs"

// maxStreamSeries bounds the series one stream may define.
const maxStreamSeries = wire.MaxItems

// seriesEncoder turns one outgoing stream's ticks into wire ticks, each
// series named in the first tick that carries it and referred to by its
// ref after that.
type seriesEncoder struct {
	byName map[string][]encSeries
	next   uint32
	added  []string // names given a ref by the last encode, for undo
}

type encSeries struct {
	labels  tsdb.Labels
	counter bool
	ref     uint32
}

func newSeriesEncoder() *seriesEncoder {
	return &seriesEncoder{byName: map[string][]encSeries{}}
}

// encode converts t. If the tick is not sent after all, undo must be
// called before the next encode, so that the peer never sees a ref it
// was not given.
func (e *seriesEncoder) encode(t monitor.Tick) *wire.Tick {
	e.added = e.added[:0]
	out := &wire.Tick{At: t.At.UnixMilli(), Samples: make([]wire.Sample, 0, min(len(t.Samples), wire.MaxItems))}
	for _, sm := range t.Samples {
		if len(out.Samples) == wire.MaxItems || !finite(sm.Value) {
			continue
		}
		counter := sm.Kind == tsdb.Counter
		if ref := e.lookup(sm.Name, sm.Labels, counter); ref != 0 {
			out.Samples = append(out.Samples, wire.Sample{Ref: ref, Value: sm.Value})
			continue
		}
		ws := sampleToWire(sm)
		if e.next < maxStreamSeries {
			e.next++
			ws.Ref = e.next
			e.byName[sm.Name] = append(e.byName[sm.Name], encSeries{labels: slices.Clone(sm.Labels), counter: counter, ref: e.next})
			e.added = append(e.added, sm.Name)
		}
		out.Samples = append(out.Samples, ws)
	}
	return out
}

// undo forgets the refs the last encode gave out.
func (e *seriesEncoder) undo() {
	for i := len(e.added) - 1; i >= 0; i-- {
		name := e.added[i]
		l := e.byName[name]
		if len(l) == 1 {
			delete(e.byName, name)
		} else {
			e.byName[name] = l[:len(l)-1]
		}
		e.next--
	}
	e.added = e.added[:0]
}

func (e *seriesEncoder) lookup(name string, labels tsdb.Labels, counter bool) uint32 {
	for _, s := range e.byName[name] {
		if s.counter == counter && slices.Equal(s.labels, labels) {
			return s.ref
		}
	}
	return 0
}

// seriesDecoder resolves the refs of one incoming stream.
type seriesDecoder struct {
	defs map[uint32]wire.Sample // name, labels and kind of each ref
}

// resolve fills in the name, labels and kind of every sample given by
// ref, in place. A ref never defined breaks the protocol. Labels maps are
// shared between the ticks of a stream: readers must not change them.
func (d *seriesDecoder) resolve(t *wire.Tick) error {
	for i, s := range t.Samples {
		switch {
		case s.Ref == 0:
		case s.Name != "":
			if d.defs == nil {
				d.defs = map[uint32]wire.Sample{}
			}
			if _, ok := d.defs[s.Ref]; !ok && len(d.defs) >= maxStreamSeries {
				return fmt.Errorf("stream defines more than %d series", maxStreamSeries)
			}
			d.defs[s.Ref] = wire.Sample{Name: s.Name, Labels: s.Labels, Counter: s.Counter}
		default:
			def, ok := d.defs[s.Ref]
			if !ok {
				return fmt.Errorf("sample of series %d, which the stream never defined", s.Ref)
			}
			def.Value, def.Ref = s.Value, s.Ref
			t.Samples[i] = def
		}
	}
	return nil
}

// tickToWire converts a tick naming every series in full, for a peer
// that does not resolve refs.
func tickToWire(t monitor.Tick) *wire.Tick {
	out := &wire.Tick{At: t.At.UnixMilli(), Samples: make([]wire.Sample, 0, min(len(t.Samples), wire.MaxItems))}
	for _, sm := range t.Samples {
		if len(out.Samples) == wire.MaxItems || !finite(sm.Value) {
			continue
		}
		out.Samples = append(out.Samples, sampleToWire(sm))
	}
	return out
}

func sampleToWire(sm monitor.Sample) wire.Sample {
	ws := wire.Sample{Name: sm.Name, Counter: sm.Kind == tsdb.Counter, Value: sm.Value}
	if len(sm.Labels) > 0 {
		ws.Labels = make(map[string]string, len(sm.Labels))
		for _, l := range sm.Labels {
			ws.Labels[l.Name] = l.Value
		}
	}
	return ws
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
