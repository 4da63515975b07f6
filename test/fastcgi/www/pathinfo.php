<?php
header('Content-Type: application/json');
echo json_encode(['SCRIPT_NAME' => $_SERVER['SCRIPT_NAME'], 'PATH_INFO' => $_SERVER['PATH_INFO'] ?? null, 'SCRIPT_FILENAME' => $_SERVER['SCRIPT_FILENAME'], 'PHP_SELF' => $_SERVER['PHP_SELF']]);
