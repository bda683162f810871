package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dist-example/dist-example/cmd/dist-example/internal/plot"
)

// outFile is an output file named by a flag (-trace, -pcap, -plot, ...). createOut opens
// it before the run starts, so a path that cannot be written fails at once, not after
// the work. A regular file is written under a temporary name beside it and renamed into
// place by Close only when every write succeeded: a failed or cut-short write leaves
// nothing that looks complete (an older file of that name stays as it was). A device or
// pipe (/dev/null, /dev/stdout, a FIFO) is written in place.
//
// Writes are buffered; the first error is kept and returned by Close, which names the
// flag. A nil *outFile takes no writes and closes with no error, so callers need no
// checks for a flag that was not given.
type outFile struct {
	flag string // e.g. "-trace"
	path string
	tmp  string // the temporary name; "" when writing in place
	f    *os.File
	w    *bufio.Writer
	err  error
	done bool
}

// createOut opens path for the output of flag; an empty path returns nil (no output).
func createOut(flag, path string) (*outFile, error) {
	if path == "" {
		return nil, nil
	}
	o := &outFile{flag: flag, path: path}
	target := path
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		target = resolved // replace the file a symlink points to, not the link
	}
	st, err := os.Stat(target)
	switch {
	case err == nil && st.IsDir():
		return nil, fmt.Errorf("%s %s: is a directory", flag, path)
	case err == nil && !st.Mode().IsRegular():
		o.f, err = os.OpenFile(target, os.O_WRONLY|os.O_TRUNC, 0)
	case err == nil || errors.Is(err, os.ErrNotExist):
		o.f, o.tmp, err = createTemp(target)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	o.path = target
	o.w = bufio.NewWriterSize(o.f, 256<<10)
	return o, nil
}

// createTemp creates a new file beside target, named after it, with the permissions
// os.Create would give target (0666 less the umask). It first removes what earlier runs
// that were killed (SIGKILL, a crash) left of their temporary files for target: those of
// processes that no longer exist.
func createTemp(target string) (*os.File, string, error) {
	dir, base := filepath.Split(target)
	removeStaleTemps(dir, base)
	for i := 0; ; i++ {
		tmp := filepath.Join(dir, "."+base+".tmp"+strconv.Itoa(os.Getpid())+"-"+strconv.Itoa(i))
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err == nil {
			return f, tmp, nil
		}
		if !errors.Is(err, os.ErrExist) || i == 100 {
			// Name the path the user gave, not the temporary one.
			var pe *os.PathError
			if errors.As(err, &pe) {
				pe.Path = target
			}
			return nil, "", err
		}
	}
}

// removeStaleTemps removes the files in dir named as createTemp names its temporary
// files for base (".BASE.tmpPID-N") whose process PID no longer runs.
func removeStaleTemps(dir, base string) {
	prefix := "." + base + ".tmp"
	names, _ := filepath.Glob(filepath.Join(dir, globEscape(prefix)+"*-*"))
	for _, name := range names {
		rest := filepath.Base(name)[len(prefix):]
		dash := strings.IndexByte(rest, '-')
		if dash <= 0 {
			continue
		}
		pid, err := strconv.Atoi(rest[:dash])
		if _, nerr := strconv.Atoi(rest[dash+1:]); err != nil || nerr != nil || pid <= 0 || pid == os.Getpid() || processExists(pid) {
			continue
		}
		_ = os.Remove(name)
	}
}

// globEscape quotes the characters filepath.Match treats as special.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Write buffers p; after an error it takes nothing more and reports that error.
func (o *outFile) Write(p []byte) (int, error) {
	if o == nil {
		return len(p), nil
	}
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	if err != nil {
		o.err = err
	}
	return n, err
}

// Fail records a failure of what produced the output (an encoder's error, say): Close
// then discards the file and returns err.
func (o *outFile) Fail(err error) {
	if o != nil && o.err == nil && err != nil {
		o.err = err
	}
}

// Close flushes and closes the file and, if everything was written, moves it into place.
// Otherwise it removes the temporary file and returns the first error, naming the flag
// and path. A second Close returns nil.
func (o *outFile) Close() error {
	if o == nil || o.done {
		return nil
	}
	o.done = true
	err := o.err
	if ferr := o.w.Flush(); err == nil {
		err = ferr
	}
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err == nil && o.tmp != "" {
		err = os.Rename(o.tmp, o.path)
	}
	if err != nil {
		if o.tmp != "" {
			os.Remove(o.tmp)
		}
		return fmt.Errorf("%s %s: %w", o.flag, o.path, err)
	}
	return nil
}

// Discard closes the file and removes it, when the run failed before the output was
// whole. Close after Discard does nothing.
func (o *outFile) Discard() {
	if o == nil || o.done {
		return
	}
	o.done = true
	o.f.Close()
	if o.tmp != "" {
		os.Remove(o.tmp)
	}
}

// outFiles are a command's output files, closed together.
type outFiles []*outFile

// create opens path for flag and adds it to the list; "" gives a nil *outFile.
func (fs *outFiles) create(flag, path string) (*outFile, error) {
	for _, o := range *fs {
		if o != nil && o.tmp != "" && path != "" && samePath(o.path, path) {
			return nil, usagef("%s %s: the same file as %s", flag, path, o.flag)
		}
	}
	o, err := createOut(flag, path)
	if err != nil {
		return nil, err
	}
	*fs = append(*fs, o)
	return o, nil
}

// closeAll closes every file (see Close) when keep is set, and discards them all when
// it is not (the run failed); it returns the errors closing them, joined.
func (fs outFiles) closeAll(keep bool) error {
	var errs []error
	for _, o := range fs {
		if keep {
			errs = append(errs, o.Close())
		} else {
			o.Discard()
		}
	}
	return errors.Join(errs...)
}

// samePath reports whether a and b name the same file.
func samePath(a, b string) bool {
	if rb, err := filepath.EvalSymlinks(b); err == nil {
		b = rb
	}
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// plotFormat is the image format of a -plot path that checkPlotFile accepted.
func plotFormat(path string) plot.Format {
	f, _ := plot.FormatOf(path)
	return f
}
