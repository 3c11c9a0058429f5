# The smallest roost configuration: one spt unikernel with no devices.
# `make examples` writes images/hello.spt.

unikernel "hello" {
  image  = "images/hello.spt"
  memory = 16
}
