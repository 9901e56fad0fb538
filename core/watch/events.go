package watch

// Changed is published on the bus (topic "watch.changed") when a watched
// folder's tree changed, or its first scan finished: the desktop app
// shows the folder's state from it without asking over and over.
type Changed struct {
	Folder string
}

// TopicChanged is the bus topic of Changed.
const TopicChanged = "watch.changed"

// Topic implements bus.Event.
func (Changed) Topic() string { return TopicChanged }
