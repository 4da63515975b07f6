<?php
// Reads the body in 64 KiB steps (never whole) and answers its length and sha256.
$in = fopen('php://input', 'rb');
$ctx = hash_init('sha256');
$n = 0;
while (!feof($in)) {
  $chunk = fread($in, 65536);
  if ($chunk === false) break;
  $n += strlen($chunk);
  hash_update($ctx, $chunk);
}
header('Content-Type: application/json');
echo json_encode(['length' => $n, 'sha256' => hash_final($ctx), 'contentLength' => $_SERVER['CONTENT_LENGTH'] ?? null, 'memory' => memory_get_peak_usage(true)]);
