// Package peers pairs Holdfast instances and keeps them connected: each
// home has an identity (peers/identity), a trust store of paired devices
// (peers/trust), and this Service, which accepts and dials peers over
// WebSockets on TLS 1.3, serves their calls to this engine within their
// permissions, and forwards this side's calls to them.
//
// # Connections
//
// Both sides present their certificates. The server accepts any client
// certificate and decides after the handshake: a device pinned in the
// trust store (and not revoked) must send a hello first; while an invite
// is open, a stranger may instead send a pairing proof first; anyone else
// is cut before any message flows. The client pins the server's device ID.
// Each side then sends a hello (protocol version, device name, listen
// addresses, capabilities, and the number the dialling side gave the
// connection, counting upwards). Both sides dial each other's known
// addresses; when two connections between the same pair meet, the one
// dialled by the lower device ID wins, and between two the same side
// dialled, the higher-numbered, so both sides keep the same one whatever
// order they saw them in. A lost peer is re-dialled with backoff and
// jitter (capped at 5 s while it was seen in the last hour, a minute
// after that); when a peer's hello arrives on a connection this side
// should have dialled, it dials at once, and again with backoff while
// that fails.
//
// # Messages
//
// Every WebSocket binary message is one CBOR message (peers/wire) of at
// most wire.MaxMessage bytes. Calls carry an ID chosen by the caller,
// numbered upwards: progress, log lines and the response carry it back, a
// cancel names it, and a streaming call (OpLiveMetrics) pushes events with
// it until it is canceled. A frame that does not decode, is too big, is
// out of order (a second hello, an ID going backwards, an answer to a call
// never made) closes that connection and nothing else. Each side pings
// every 2 s; a link silent for 6 s is dead. Any frame keeps a link alive
// as well as a ping, so a side that sent other frames since its last ping
// (a live metric stream) skips it, and a side that heard the peer's
// frames needs no answer and sends an unsolicited pong (a one-way
// heartbeat) instead; every fifth ping goes out regardless, to keep the
// round-trip time fresh.
//
// # Writing, and room for bulk data
//
// One writer goroutine per connection owns the socket. It takes frames
// from two bounded queues: control (hellos, calls, responses, progress,
// live samples) and bulk. Control always goes first: the writer drains
// the control queue before it takes one bulk frame, so a control message
// waits behind at most one bulk frame in flight. Bulk transfer of file
// chunks (replication, a later issue) enqueues chunk frames of bounded
// size on the bulk queue; its small bound gives natural back-pressure to
// the sender, while what may be dropped on the control side (progress,
// live samples) is offered without waiting and dropped when the queue is
// full. Calls that must arrive (responses, log lines) wait for room.
package peers
