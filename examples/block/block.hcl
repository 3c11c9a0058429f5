# A block device kept under the data directory. It outlives the unikernel:
# replacing or destroying "db" keeps the data; deleting the block needs
# -allow-data-loss.

block "data" {
  size = 16 # MiB
}

unikernel "db" {
  image = "images/db.hvt"

  block "storage" {
    device = "data"
  }

  stop_timeout = "5s"
}
