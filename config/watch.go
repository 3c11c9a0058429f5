package config

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// ErrDirGone says that a watched configuration directory was removed or
// renamed away.
var ErrDirGone = errors.New("directory is gone")

// WatchError is a problem of watching a configuration directory, which a
// DirWatcher recovers from by itself. Err is ErrDirGone when the directory
// went away: it is watched again once it is back. Any other Err is what
// the kernel reported (lost events, a broken watch): every watch has been
// added again and a "rescan" change follows.
type WatchError struct {
	Dir string
	Err error
}

// Error says "watch DIR: " and the problem.
func (e *WatchError) Error() string { return "watch " + e.Dir + ": " + e.Err.Error() }

// Unwrap returns Err, for errors.Is(err, ErrDirGone).
func (e *WatchError) Unwrap() error { return e.Err }

// dirPoll is how often a DirWatcher looks for its directory while it is
// gone.
const dirPoll = time.Second

// DirWatcher tells when a configuration directory, or a file outside it
// that the configuration depends on (images, var files), may have changed.
// It watches directories, not files, since editors save by rename; it
// ignores editor temporaries (IgnoredName) and files that are not *.hcl;
// and it waits until the changes have been quiet for a while, so that one
// save is one change. Its goroutine runs until Close.
type DirWatcher struct {
	dir     string
	quiet   time.Duration
	fs      *fsnotify.Watcher
	changed chan []string
	errs    chan error
	stop    chan struct{} // closed by Close
	done    chan struct{} // closed when run returns

	mu      sync.Mutex      // guards all following fields
	watched map[string]bool // directories added to fs
	files   map[string]bool // files outside dir whose changes count
}

// WatchDir starts watching dir; changes are told once they have been
// quiet for quiet.
func WatchDir(dir string, quiet time.Duration) (*DirWatcher, error) {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, &WatchError{Dir: dir, Err: err}
	}
	w := &DirWatcher{dir: filepath.Clean(dir), quiet: quiet, fs: fsw,
		changed: make(chan []string), errs: make(chan error, 16),
		stop: make(chan struct{}), done: make(chan struct{}),
		watched: map[string]bool{}, files: map[string]bool{}}
	w.addWatch(w.dir)
	go w.run()
	return w, nil
}

// Changed delivers the reasons of each quiet burst of changes: "config
// changed: main.hcl" (a *.hcl file of the directory, by base name),
// "config changed: /images/web.hvt" (a file outside it), "rescan",
// "configuration directory back".
func (w *DirWatcher) Changed() <-chan []string { return w.changed }

// Errors delivers *WatchError values as they happen. When nobody reads
// them, the ones beyond a few are dropped.
func (w *DirWatcher) Errors() <-chan error { return w.errs }

// WatchFiles adds files outside the directory whose changes count too.
func (w *DirWatcher) WatchFiles(files []string) {
	for _, f := range files {
		f = filepath.Clean(f)
		w.mu.Lock()
		known := w.files[f]
		w.files[f] = true
		w.mu.Unlock()
		if !known {
			w.addWatch(filepath.Dir(f))
		}
	}
}

// Close stops watching and waits for the goroutine to end.
func (w *DirWatcher) Close() error {
	close(w.stop)
	<-w.done
	return w.fs.Close()
}

func (w *DirWatcher) run() {
	defer close(w.done)
	quiet := time.NewTimer(time.Hour)
	quiet.Stop()
	poll := time.NewTicker(dirPoll)
	defer poll.Stop()
	var pending []string
	ready := false // quiet since the last of pending
	note := func(reason string) {
		if !slices.Contains(pending, reason) {
			pending = append(pending, reason)
		}
		ready = false
		quiet.Reset(w.quiet)
	}
	for {
		var out chan<- []string
		if ready {
			out = w.changed
		}
		select {
		case <-w.stop:
			return
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			if name, relevant := w.relevant(ev); relevant {
				note("config changed: " + name)
			}
			if filepath.Clean(ev.Name) == w.dir && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				w.forget(w.dir)
				w.report(&WatchError{Dir: w.dir, Err: ErrDirGone})
			}
		case err, ok := <-w.fs.Errors:
			if !ok {
				return
			}
			// Lost events (ErrEventOverflow) or a broken watch: look at
			// everything again, with fresh watches.
			w.report(&WatchError{Dir: w.dir, Err: err})
			w.rewatch()
			note("rescan")
		case <-poll.C:
			if !w.isWatched(w.dir) && w.addWatch(w.dir) {
				note("configuration directory back")
			}
		case <-quiet.C:
			ready = len(pending) > 0
		case out <- pending:
			pending, ready = nil, false
		}
	}
}

func (w *DirWatcher) report(err error) {
	select {
	case w.errs <- err:
	default: // a rescan is due anyway
	}
}

func (w *DirWatcher) isWatched(dir string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.watched[dir]
}

func (w *DirWatcher) forget(dir string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.watched, dir)
}

// addWatch watches dir, reporting whether it could.
func (w *DirWatcher) addWatch(dir string) bool {
	dir = filepath.Clean(dir)
	if w.isWatched(dir) {
		return true
	}
	if err := w.fs.Add(dir); err != nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.watched[dir] = true
	return true
}

// rewatch drops every watch and adds them again.
func (w *DirWatcher) rewatch() {
	w.mu.Lock()
	dirs := []string{w.dir}
	for dir := range w.watched {
		w.fs.Remove(dir)
		delete(w.watched, dir)
	}
	for f := range w.files {
		dirs = append(dirs, filepath.Dir(f))
	}
	w.mu.Unlock()
	for _, dir := range dirs {
		w.addWatch(dir)
	}
}

// relevant says whether a file system event may change the configuration:
// a *.hcl file of the directory (not an editor temporary), or a file it
// depends on.
func (w *DirWatcher) relevant(ev fsnotify.Event) (string, bool) {
	name := filepath.Clean(ev.Name)
	if ev.Op == fsnotify.Chmod {
		return "", false
	}
	w.mu.Lock()
	file := w.files[name]
	w.mu.Unlock()
	if file {
		return name, true
	}
	if filepath.Dir(name) != w.dir {
		return "", false
	}
	base := filepath.Base(name)
	if IgnoredName(base) || !strings.HasSuffix(base, ".hcl") {
		return "", false
	}
	return base, true
}
