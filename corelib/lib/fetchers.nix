# gonix lib: constants shared by fetchers (lib.fetchers).
{ lib }:
{
  proxyImpureEnvVars = [
    "http_proxy" "https_proxy" "ftp_proxy" "all_proxy" "no_proxy"
    "HTTP_PROXY" "HTTPS_PROXY" "FTP_PROXY" "ALL_PROXY" "NO_PROXY"
    "NIX_SSL_CERT_FILE"
  ];
}
