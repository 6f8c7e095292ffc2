package child

import (
	"encoding/json"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// ArgSpawner makes the program a spawner: it starts sandbox children for
// its parent, which asks over the socket at SpawnerFD. Forking for a new
// user namespace copies the forking process's whole address space (Go
// cannot use vfork then); the spawner's is a few pages where gonix's is
// tens of megabytes. The children are started with CLONE_PARENT, so they
// are the parent's own: it waits for them as for any child.
const (
	ArgSpawner = "spawner"
	SpawnerFD  = 3
)

// SpawnRequest asks a spawner to start Exe with Argv and Env in the
// namespaces of Cloneflags, with these id maps and ambient capabilities,
// in a new session, with the parent-death signal (the parent being the
// spawner's, CLONE_PARENT's); the message carries the child's descriptors
// 0…n-1.
type SpawnRequest struct {
	Exe         string                 `json:"exe"`
	Argv        []string               `json:"argv"`
	Env         []string               `json:"env"`
	Cloneflags  uintptr                `json:"cloneflags"`
	UidMappings []syscall.SysProcIDMap `json:"uidMappings"`
	GidMappings []syscall.SysProcIDMap `json:"gidMappings"`
	Setgroups   bool                   `json:"setgroups"`
	AmbientCaps []uintptr              `json:"ambientCaps"`
	Pdeathsig   syscall.Signal         `json:"pdeathsig"`
}

// SpawnReply is the spawner's answer: the child's pid, or why it could not
// be started (Errno from clone or execve, so the parent can tell a missing
// user namespace).
type SpawnReply struct {
	Pid   int    `json:"pid"`
	Errno int    `json:"errno,omitempty"`
	Msg   string `json:"msg,omitempty"`
}

// spawnerMain serves requests until the parent closes its end.
func spawnerMain() int {
	// Nothing of the spawner's reaches its children but the descriptors
	// each request passes (received close-on-exec, then placed at 0…n-1).
	unix.CloseOnExec(SpawnerFD)
	buf := make([]byte, 1<<20)
	oob := make([]byte, unix.CmsgSpace(16*4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(SpawnerFD, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return 0
		}
		var fds []int
		if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
			for _, m := range msgs {
				if rights, err := unix.ParseUnixRights(&m); err == nil {
					fds = append(fds, rights...)
				}
			}
		}
		reply := spawn(buf[:n], fds)
		for _, fd := range fds {
			unix.Close(fd)
		}
		b, _ := json.Marshal(reply)
		if _, err := unix.Write(SpawnerFD, b); err != nil {
			return 0
		}
	}
}

func spawn(msg []byte, fds []int) *SpawnReply {
	var req SpawnRequest
	if err := json.Unmarshal(msg, &req); err != nil {
		return &SpawnReply{Msg: fmt.Sprintf("decoding the spawn request: %v", err)}
	}
	files := make([]uintptr, len(fds))
	for i, fd := range fds {
		files[i] = uintptr(fd)
	}
	pid, err := syscall.ForkExec(req.Exe, req.Argv, &syscall.ProcAttr{
		Env:   req.Env,
		Files: files,
		Sys: &syscall.SysProcAttr{
			Cloneflags:                 req.Cloneflags | syscall.CLONE_PARENT,
			UidMappings:                req.UidMappings,
			GidMappings:                req.GidMappings,
			GidMappingsEnableSetgroups: req.Setgroups,
			AmbientCaps:                req.AmbientCaps,
			Setsid:                     true,
			Pdeathsig:                  req.Pdeathsig,
		},
	})
	if err != nil {
		if errno, ok := err.(syscall.Errno); ok {
			return &SpawnReply{Errno: int(errno), Msg: err.Error()}
		}
		return &SpawnReply{Msg: err.Error()}
	}
	return &SpawnReply{Pid: pid}
}
