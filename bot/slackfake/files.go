package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// File is an upload completed through files.getUploadURLExternal, a POST to its upload_url and
// files.completeUploadExternal, the only upload flow Slack still supports.
type File struct {
	ID       string
	Filename string
	Title    string
	Channel  string // "" when completed without sharing
	Content  []byte
}

// upload tracks a file through the three steps.
type upload struct {
	file      File
	path      string
	uploaded  bool
	completed bool
}

// Files is Workspace.Files of the default workspace.
func (s *Server) Files() []File { return s.def.Files() }

// Files returns the workspace's completed uploads in completion order.
func (w *Workspace) Files() []File {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	var out []File
	for _, id := range w.completed {
		f := w.uploads[id].file
		f.Content = append([]byte(nil), f.Content...)
		out = append(out, f)
	}
	return out
}

// filesGetUploadURLExternal hands out an upload_url on the fake's own scheme and host: slack-go
// only sends the token to slack.com over https or to the host of its API URL.
func (w *Workspace) filesGetUploadURLExternal(r *request) (map[string]any, string) {
	length, err := strconv.Atoi(r.params["length"])
	if r.params["filename"] == "" || err != nil || length <= 0 {
		return nil, "invalid_arguments"
	}
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	id := fmt.Sprintf("F%08d", w.s.nextSeqLocked())
	path := "/upload/v1/" + randHex(16)
	w.uploads[id] = &upload{file: File{ID: id, Filename: r.params["filename"]}, path: path}
	w.s.notifyLocked()
	return map[string]any{"upload_url": w.s.http.URL + path, "file_id": id}, ""
}

// serveUpload receives the file body, as multipart (field "file", what slack-go sends) or raw,
// and answers like Slack's upload host with a plain-text "OK - <bytes>".
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	content, err := readUpload(r)
	if r.Method != http.MethodPost || err != nil {
		http.Error(w, "bad upload", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ws := range s.teams {
		for _, u := range ws.uploads {
			if u.path != r.URL.Path || u.completed {
				continue
			}
			u.file.Content, u.uploaded = content, true
			s.notifyLocked()
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = fmt.Fprintf(w, "OK - %d", len(content))
			return
		}
	}
	http.NotFound(w, r)
}

func readUpload(r *http.Request) ([]byte, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if !strings.HasPrefix(ct, "multipart/") {
		return io.ReadAll(r.Body)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, err
	}
	var content []byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return content, nil
		}
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, err
		}
		if p.FormName() == "file" {
			content = b
		}
	}
}

func (w *Workspace) filesCompleteUploadExternal(r *request) (map[string]any, string) {
	var summaries []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if json.Unmarshal([]byte(r.params["files"]), &summaries) != nil || len(summaries) == 0 {
		return nil, "invalid_arguments"
	}
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	channel := r.params["channel_id"]
	if channel != "" {
		// A conversation id is required: a user id is not a channel here, unlike chat.postMessage.
		if strings.HasPrefix(channel, "U") || strings.HasPrefix(channel, "W") {
			return nil, "channel_not_found"
		}
		if _, _, e := w.resolveLocked(channel); e != "" {
			return nil, e
		}
	}
	for _, f := range summaries {
		if u := w.uploads[f.ID]; u == nil || !u.uploaded || u.completed {
			return nil, "file_not_found"
		}
	}
	var out []map[string]any
	for _, f := range summaries {
		u := w.uploads[f.ID]
		u.completed = true
		u.file.Title, u.file.Channel = f.Title, channel
		if u.file.Title == "" {
			u.file.Title = u.file.Filename
		}
		w.completed = append(w.completed, f.ID)
		out = append(out, map[string]any{"id": f.ID, "title": u.file.Title, "name": u.file.Filename})
	}
	w.s.notifyLocked()
	return map[string]any{"files": out}, ""
}
