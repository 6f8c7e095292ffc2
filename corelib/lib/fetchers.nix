# gonix lib: constants shared by fetchers (lib.fetchers).
{ lib }:
{
  proxyImpureEnvVars = [ "http_proxy" "https_proxy" "ftp_proxy" "all_proxy" "no_proxy" ];
}
