<?php
$files = [];
foreach ($_FILES as $name => $f) {
  $files[$name] = ['name' => $f['name'], 'size' => $f['size'], 'error' => $f['error'], 'sha256' => $f['error'] === 0 ? hash_file('sha256', $f['tmp_name']) : null];
}
header('Content-Type: application/json');
echo json_encode(['post' => $_POST, 'files' => $files]);
