# Several instances of one image, one per key: fleet-a, fleet-b, fleet-c,
# each with its own address and its own disk. A variable sets their memory:
#   roost plan -var mem=64 examples/fleet

variable "mem" {
  type        = number
  default     = 32
  description = "memory of each instance, in MiB"
}

locals {
  members = {
    a = 10
    b = 11
    c = 12
  }
}

bridge "fleet" {
  addresses = ["198.51.100.1/24"]
}

block "cache" {
  for_each = local.members
  size     = 8
}

unikernel "fleet" {
  for_each = local.members
  image    = "images/member.hvt"
  memory   = var.mem
  argv     = ["--ipv4=${cidrhost("198.51.100.0/24", each.value)}/24", "--name=${each.key}"]

  net "service" {
    bridge = "fleet"
  }

  block "storage" {
    device = "cache-${each.key}"
  }
}
