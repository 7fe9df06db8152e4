package sink

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Unwritable says why the folder path cannot take new files or folders,
// whatever its permissions say (access(2) says yes to root): on a
// read-only mount, or on a kernel's file system (proc, sysfs, cgroup,
// ...), where mkdir fails. It returns "" when nothing stands in the way
// that this check can see.
func Unwritable(path string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return ""
	}
	if st.Flags&unix.ST_RDONLY != 0 {
		return "on a read-only file system"
	}
	switch int64(st.Type) {
	case unix.PROC_SUPER_MAGIC:
		return "on the kernel's proc file system"
	case unix.SYSFS_MAGIC:
		return "on the kernel's sysfs file system"
	case unix.CGROUP_SUPER_MAGIC, unix.CGROUP2_SUPER_MAGIC:
		return "on the kernel's cgroup file system"
	case unix.DEBUGFS_MAGIC, unix.SECURITYFS_MAGIC, unix.BPF_FS_MAGIC, unix.TRACEFS_MAGIC:
		return "on a kernel file system"
	}
	return ""
}
