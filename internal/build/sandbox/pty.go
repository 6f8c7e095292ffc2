package sandbox

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// openPty returns the master and slave of a new pseudo-terminal, the slave
// in raw mode so that the log gets the builder's bytes untranslated (Nix
// calls cfmakeraw: no "\n" → "\r\n"). The master is non-blocking, so reads
// go through the runtime poller and a deadline can interrupt them.
func openPty() (master, slave *os.File, err error) {
	mfd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("opening a pseudoterminal master /dev/ptmx: %w", err)
	}
	master = os.NewFile(uintptr(mfd), "/dev/ptmx")
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("unlocking the pseudoterminal slave: %w", err)
	}
	sfd, err := openPtyPeer(mfd)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	slave = os.NewFile(uintptr(sfd), "pseudoterminal slave")
	if err := makeRaw(sfd); err != nil {
		master.Close()
		slave.Close()
		return nil, nil, err
	}
	return master, slave, nil
}

// openPtyPeer opens the slave of master mfd: through TIOCGPTPEER when the
// kernel has it (no path lookup), else through /dev/pts/N.
func openPtyPeer(mfd int) (int, error) {
	const flags = unix.O_RDWR | unix.O_NOCTTY | unix.O_CLOEXEC
	fd, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(mfd), unix.TIOCGPTPEER, flags)
	if errno == 0 {
		return int(fd), nil
	}
	n, err := unix.IoctlGetUint32(mfd, unix.TIOCGPTN)
	if err != nil {
		return -1, fmt.Errorf("getting the pseudoterminal slave's number: %w", err)
	}
	name := fmt.Sprintf("/dev/pts/%d", n)
	sfd, err := unix.Open(name, flags, 0)
	if err != nil {
		return -1, fmt.Errorf("opening the pseudoterminal slave %s: %w", name, err)
	}
	return sfd, nil
}

// makeRaw does what cfmakeraw(3) does to the terminal fd.
func makeRaw(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("getting the pseudoterminal's attributes: %w", err)
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fmt.Errorf("putting the pseudoterminal into raw mode: %w", err)
	}
	return nil
}
