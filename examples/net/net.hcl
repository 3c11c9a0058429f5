# A bridge with a host address, and an hvt unikernel with one net device on
# it. From the host: ping 192.0.2.2.

locals {
  prefix = "192.0.2.0/24"
}

bridge "service" {
  addresses = ["${cidrhost(local.prefix, 1)}/24"]
}

unikernel "web" {
  image  = "images/web.hvt"
  memory = 32
  argv   = ["--ipv4=${cidrhost(local.prefix, 2)}/24", "--ipv4-gateway=${cidrhost(local.prefix, 1)}"]

  net "service" {}

  restart {
    policy = "always"
  }
}
